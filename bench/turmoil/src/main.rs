//! The message pattern of `raftsim bench` on turmoil (tokio's deterministic
//! simulator), for the side-by-side in raftsim's docs/PERFORMANCE.md: 5 hosts, a leader
//! sending a heartbeat to each follower every 50 ms and an append for each
//! of 20 proposals a second, every follower answering every message, 1%
//! of messages lost, 1–5 ms latency, 1 ms tick, one virtual hour. Raft
//! itself is not replicated, only its traffic.
//!
//! `cargo run --release -- [virtual hours]` prints the message count and
//! the wall time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant as WallClock};

use turmoil::net::UdpSocket;

const PORT: u16 = 9000;
const FOLLOWERS: usize = 4;
/// Heartbeat interval, and half of it between a heartbeat and a proposal's
/// append: 20 heartbeats and 20 proposals a second.
const STEP: Duration = Duration::from_millis(25);

/// A seeded xorshift draw: true for 1% of messages (the loss).
fn lost(state: &mut u64) -> bool {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state % 100 == 0
}

fn any() -> SocketAddr {
    (IpAddr::from(Ipv4Addr::UNSPECIFIED), PORT).into()
}

fn main() -> turmoil::Result {
    let hours: f64 = std::env::args()
        .nth(1)
        .map_or(1.0, |h| h.parse().expect("virtual hours"));
    let virtual_time = Duration::from_secs_f64(hours * 3600.0);
    let steps = (virtual_time.as_millis() / STEP.as_millis()) as u64;
    let mut sim = turmoil::Builder::new()
        .simulation_duration(virtual_time + Duration::from_secs(10))
        .tick_duration(Duration::from_millis(1))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(5))
        .rng_seed(1)
        .build();
    for f in 1..=FOLLOWERS {
        sim.host(format!("n{f}"), move || async move {
            let socket = UdpSocket::bind(any()).await?;
            let mut buf = [0u8; 64];
            let mut rng = 0x9e37_79b9_7f4a_7c15 ^ f as u64;
            loop {
                let (len, from) = socket.recv_from(&mut buf).await?;
                if !lost(&mut rng) {
                    socket.send_to(&buf[..len], from).await?;
                }
            }
        });
    }
    sim.client("n0", async move {
        let socket = std::sync::Arc::new(UdpSocket::bind(any()).await?);
        let receiver = socket.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            while receiver.recv_from(&mut buf).await.is_ok() {}
        });
        let followers: Vec<SocketAddr> = (1..=FOLLOWERS)
            .map(|f| (turmoil::lookup(format!("n{f}")), PORT).into())
            .collect();
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        for step in 0..steps {
            for &to in &followers {
                if !lost(&mut rng) {
                    socket.send_to(&step.to_le_bytes(), to).await?;
                }
            }
            tokio::time::sleep(STEP).await;
        }
        Ok(())
    });
    let started = WallClock::now();
    sim.run()?;
    let wall = started.elapsed().as_secs_f64();
    let sent = steps * FOLLOWERS as u64 * 2;
    println!(
        "turmoil: {hours} virtual h, ~{sent} messages sent, {wall:.2} s wall, {:.0}x real time",
        virtual_time.as_secs_f64() / wall
    );
    Ok(())
}
