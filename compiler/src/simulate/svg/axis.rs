//! The timeline's time axis: linear, except that a long stretch in which
//! nothing happens (a `sleep 120`, a kill timeout) is squeezed into a
//! narrow break, so that the busy part of a boot keeps the width.

use upc_machine::Millis;

/// Width of a squeezed idle stretch, in pixels.
const GAP_W: f64 = 36.0;
/// A stretch without records is squeezed when it is longer than this...
const GAP_MIN_MS: Millis = 1000;
/// ...and longer than this share of the whole.
const GAP_MIN_SHARE: Millis = 5;

/// One piece of the axis: times `t0..t1` drawn over `x0..x1`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    t0: Millis,
    t1: Millis,
    x0: f64,
    x1: f64,
    gap: bool,
}

pub(super) struct TimeAxis {
    pieces: Vec<Piece>,
    /// Time between two ticks.
    pub step: Millis,
    /// The time at the right edge.
    pub end: Millis,
}

impl TimeAxis {
    /// An axis `width` pixels wide for records at `times` (any order).
    pub fn new(times: impl Iterator<Item = Millis>, width: f64) -> TimeAxis {
        let mut times: Vec<Millis> = times.collect();
        times.push(0);
        times.sort_unstable();
        times.dedup();
        let last = times.last().copied().unwrap_or(0);
        let threshold = GAP_MIN_MS.max(last / GAP_MIN_SHARE);
        let gaps: Vec<(Millis, Millis)> = times
            .windows(2)
            .filter_map(|w| match *w {
                [a, b] if b - a > threshold => Some((a, b)),
                _ => None,
            })
            .collect();
        let idle: Millis = gaps.iter().map(|(a, b)| b - a).sum();
        let step = tick_step(last - idle);
        let end = last.div_ceil(step).max(1) * step;
        let busy = (end - idle).max(1);
        let gaps_w = GAP_W * gaps.len() as f64;
        let scale = (width - gaps_w).max(width / 2.0) / busy as f64;
        let mut pieces = Vec::with_capacity(2 * gaps.len() + 1);
        let (mut t, mut x) = (0, 0.0);
        for (a, b) in gaps {
            let x_a = x + (a - t) as f64 * scale;
            pieces.push(Piece {
                t0: t,
                t1: a,
                x0: x,
                x1: x_a,
                gap: false,
            });
            pieces.push(Piece {
                t0: a,
                t1: b,
                x0: x_a,
                x1: x_a + GAP_W,
                gap: true,
            });
            (t, x) = (b, x_a + GAP_W);
        }
        pieces.push(Piece {
            t0: t,
            t1: end,
            x0: x,
            x1: x + (end - t) as f64 * scale,
            gap: false,
        });
        TimeAxis { pieces, step, end }
    }

    /// The distance of time `t` from the left edge.
    pub fn x(&self, t: Millis) -> f64 {
        let n = self.pieces.partition_point(|p| p.t0 <= t);
        let Some(p) = n.checked_sub(1).and_then(|n| self.pieces.get(n)) else {
            return 0.0;
        };
        if p.t1 <= p.t0 {
            return p.x0;
        }
        let share = (t.min(p.t1) - p.t0) as f64 / (p.t1 - p.t0) as f64;
        p.x0 + share * (p.x1 - p.x0)
    }

    /// The ticks: multiples of the step, and the first time after each
    /// break (unless a tick is near).
    pub fn ticks(&self) -> Vec<Millis> {
        let mut ticks = Vec::new();
        for (n, p) in self.pieces.iter().enumerate() {
            if p.gap {
                continue;
            }
            let first = p.t0.div_ceil(self.step) * self.step;
            if n > 0 && self.x(first) - p.x0 > 40.0 {
                ticks.push(p.t0);
            }
            let mut t = first;
            while t <= p.t1 {
                ticks.push(t);
                t += self.step;
            }
        }
        ticks
    }

    /// The squeezed stretches: (from, to, left x, right x).
    pub fn gaps(&self) -> impl Iterator<Item = (Millis, Millis, f64, f64)> + '_ {
        self.pieces
            .iter()
            .filter(|p| p.gap)
            .map(|p| (p.t0, p.t1, p.x0, p.x1))
    }
}

/// A tick every 1, 2 or 5 times a power of ten, about ten across.
fn tick_step(span: Millis) -> Millis {
    let raw = (span / 10).max(1);
    let mut power: Millis = 1;
    loop {
        for m in [1, 2, 5] {
            let step = power.saturating_mul(m);
            if step >= raw {
                return step;
            }
        }
        match power.checked_mul(10) {
            Some(p) => power = p,
            None => return raw,
        }
    }
}

/// `0`, `20ms`, `1.5s`, `20.021s`: as short as exact allows.
pub(super) fn tick_label(t: Millis) -> String {
    if t == 0 {
        "0".to_owned()
    } else if t < 1000 {
        format!("{t}ms")
    } else if t.is_multiple_of(1000) {
        format!("{}s", t / 1000)
    } else {
        let text = format!("{}.{:03}", t / 1000, t % 1000);
        format!("{}s", text.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_without_idle_stretches() {
        let axis = TimeAxis::new([0, 50, 150].into_iter(), 1000.0);
        assert_eq!(axis.step, 20);
        assert_eq!(axis.end, 160);
        assert!((axis.x(80) - 500.0).abs() < 1e-9);
        assert_eq!(axis.gaps().count(), 0);
        assert_eq!(axis.ticks().first(), Some(&0));
        assert_eq!(axis.ticks().last(), Some(&160));
    }

    #[test]
    fn a_long_idle_stretch_is_squeezed() {
        let axis = TimeAxis::new([0, 100, 150, 20_021].into_iter(), 1000.0);
        let gaps: Vec<_> = axis.gaps().collect();
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].0, gaps[0].1), (150, 20_021));
        // The busy 150 ms get most of the width.
        assert!(axis.x(150) > 800.0, "{}", axis.x(150));
        assert!(axis.x(20_021) <= 1000.0 + 1e-9);
        assert!(axis.x(100) < axis.x(150) && axis.x(150) < axis.x(20_021));
        assert!(axis.ticks().contains(&20_021) || axis.ticks().iter().any(|&t| t > 20_000));
    }

    #[test]
    fn labels() {
        assert_eq!(tick_label(0), "0");
        assert_eq!(tick_label(20), "20ms");
        assert_eq!(tick_label(2000), "2s");
        assert_eq!(tick_label(1500), "1.5s");
        assert_eq!(tick_label(20_021), "20.021s");
    }

    #[test]
    fn an_empty_trace_still_has_an_axis() {
        let axis = TimeAxis::new(std::iter::empty(), 1000.0);
        assert_eq!(axis.end, 1);
        assert_eq!(axis.x(0), 0.0);
    }
}
