//! Progress on a terminal: one spinner per piece of work, shown only once
//! the work has lasted a second, only when stdout and stderr are both
//! terminals, and never with `--json`. Everything else stays quiet, so
//! piped output and CI logs carry no control characters.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Work shorter than this shows nothing.
const REVEAL_AFTER: Duration = Duration::from_secs(1);

pub struct Progress {
    multi: Option<MultiProgress>,
    /// Dropping it tells the reveal thread that the work is over.
    done: Option<mpsc::Sender<()>>,
    reveal: Option<JoinHandle<()>>,
}

impl Progress {
    /// Should progress show? Not with `--json`, and only on a terminal.
    pub fn wanted(json: bool) -> bool {
        !json && std::io::stderr().is_terminal() && std::io::stdout().is_terminal()
    }

    pub fn new(enabled: bool) -> Progress {
        if !enabled {
            return Progress {
                multi: None,
                done: None,
                reveal: None,
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let (done, over) = mpsc::channel::<()>();
        let shown = multi.clone();
        let reveal = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = over.recv_timeout(REVEAL_AFTER) {
                shown.set_draw_target(ProgressDrawTarget::stderr());
            }
        });
        Progress {
            multi: Some(multi),
            done: Some(done),
            reveal: Some(reveal),
        }
    }

    /// A spinner with a message, ticking until it is finished or dropped.
    pub fn spinner(&self, message: String) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let bar = multi.add(ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(reveal) = self.reveal.take() {
            let _ = reveal.join();
        }
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }
}
