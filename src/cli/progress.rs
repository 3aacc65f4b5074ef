//! Progress on a terminal, on stderr only, and only when stderr is a
//! terminal: piped output and CI logs carry no control characters, and
//! stdout (a table, `--json`) is never touched. Long work shows what it
//! has done: virtual time simulated out of the total, engine events per
//! second of wall time, seeds or runs done and an ETA, read from
//! `sim_core::progress` (which every run adds to every 2^16 events) a few
//! times a second. Spinners for short steps appear only once the step has
//! lasted a second.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant as WallClock};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::progress::{self, Totals};

/// Work shorter than this shows nothing.
const REVEAL_AFTER: Duration = Duration::from_secs(1);
/// How often the figures are read again.
const TICK: Duration = Duration::from_millis(250);

pub struct Progress {
    multi: Option<MultiProgress>,
    /// Dropping it tells the reveal thread that the work is over.
    done: Option<mpsc::Sender<()>>,
    reveal: Option<JoinHandle<()>>,
}

impl Progress {
    /// Should progress show? Only when stderr is a terminal.
    pub fn wanted() -> bool {
        std::io::stderr().is_terminal()
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

    /// A line on stderr that does not tear a bar being drawn.
    pub fn println(&self, line: String) {
        match &self.multi {
            Some(multi) => multi.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
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

    /// Simulation: `total_us` of virtual time to run in all (the runs'
    /// durations added up), or None when it is not known in advance (a
    /// shrink). Shows virtual time done, events/s and, with a total, a
    /// bar and the ETA; stops with the returned ticker.
    pub fn simulation(&self, what: &str, total_us: Option<u64>) -> Ticker {
        let Some(multi) = &self.multi else {
            return Ticker::idle();
        };
        let (bar, template) = match total_us {
            Some(total) => (
                ProgressBar::new(total.max(1)),
                "{spinner} {prefix} {bar:30} {msg} · ETA {eta}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{spinner} {prefix} {msg} ({elapsed})",
            ),
        };
        let bar = multi.add(bar);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_prefix(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        Ticker::start(bar, move |bar, done, elapsed| {
            bar.set_position(done.virtual_us);
            let mut message = match total_us {
                Some(total) => format!(
                    "{} of {} virtual",
                    virtual_time(done.virtual_us),
                    virtual_time(total)
                ),
                None => format!(
                    "{} runs, {} virtual",
                    done.runs,
                    virtual_time(done.virtual_us)
                ),
            };
            message.push_str(&format!(" · {}", events_per_sec(done.events, elapsed)));
            bar.set_message(message);
        })
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

/// A thread that reads the process's simulation totals every `TICK` and
/// hands what changed since it started to `update`, until dropped (which
/// also clears its bar).
pub struct Ticker {
    bar: ProgressBar,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn idle() -> Ticker {
        Ticker {
            bar: ProgressBar::hidden(),
            stop: None,
            thread: None,
        }
    }

    /// Starts updating `bar` with `update(bar, done since now, elapsed)`.
    pub fn start(
        bar: ProgressBar,
        update: impl Fn(&ProgressBar, Totals, Duration) + Send + 'static,
    ) -> Ticker {
        let started = (progress::totals(), WallClock::now());
        let (stop, stopped) = mpsc::channel::<()>();
        let shown = bar.clone();
        let thread = std::thread::spawn(move || loop {
            let now = progress::totals();
            let done = Totals {
                events: now.events - started.0.events,
                virtual_us: now.virtual_us - started.0.virtual_us,
                runs: now.runs - started.0.runs,
            };
            update(&shown, done, started.1.elapsed());
            match stopped.recv_timeout(TICK) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        });
        Ticker {
            bar,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.bar.finish_and_clear();
    }
}

/// "3 min 12 s", "2 h 5 min", "1 d 4 h" of virtual time.
pub fn virtual_time(us: u64) -> String {
    let s = us / 1_000_000;
    match s {
        0..=59 => format!("{:.1} s", us as f64 / 1e6),
        60..=3_599 => format!("{} min {} s", s / 60, s % 60),
        3_600..=86_399 => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// "7.6 M events/s" over `elapsed`.
pub fn events_per_sec(events: u64, elapsed: Duration) -> String {
    let rate = events as f64 / elapsed.as_secs_f64().max(1e-3);
    if rate >= 1e6 {
        format!("{:.1} M events/s", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.0} k events/s", rate / 1e3)
    } else {
        format!("{rate:.0} events/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_times_and_rates_read_at_a_glance() {
        assert_eq!(virtual_time(1_500_000), "1.5 s");
        assert_eq!(virtual_time(192_000_000), "3 min 12 s");
        assert_eq!(virtual_time(7_500_000_000), "2 h 5 min");
        assert_eq!(virtual_time(100_800_000_000), "1 d 4 h");
        let second = Duration::from_secs(1);
        assert_eq!(events_per_sec(7_600_000, second), "7.6 M events/s");
        assert_eq!(events_per_sec(42_000, second), "42 k events/s");
        assert_eq!(events_per_sec(12, second), "12 events/s");
    }
}
