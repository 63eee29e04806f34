//! Reading fewer rows for the same answer: which hours a set of queries may read already folded.
//!
//! [`aggregate::query`](crate::aggregate::query) puts each bucket in the range and interval
//! where its `hour` starts. Hours that every query puts in the same interval (or leaves out
//! together) can be folded into one bucket first, labelled with one of those hours, and every
//! query over the folded rows gives what it gives over the hours (sums and counts add, min and max
//! widen, the latest of the latests wins: [`HourBucket::merge`]). Sums are added in another order,
//! so a fractional sum may differ in its last bits; whole numbers are exact.
//!
//! [`plan`] cuts the span the queries cover at every range end and interval boundary (rounded up
//! to the hour: a boundary inside an hour moves that hour where it starts, as the query does) and
//! says how to read each piece between two cuts: a single hour as stored, whole UTC days from
//! the store's daily rollups, and the rest folded by the store from its hours. A day interval in
//! a zone not at UTC+0 thus reads one folded row per local day, never its 24 hours.

use std::collections::{BTreeMap, BTreeSet};

use jiff::tz::TimeZone;

use crate::aggregate::{Interval, QueryError, TimeRange, interval_start, next_interval_start};
use crate::bucket::{HOUR_MS, HourBucket};

pub const DAY_MS: i64 = 24 * HOUR_MS;

/// One read of a metric's buckets over `[from_ms, to_ms)` (whole hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Read {
    /// The hourly buckets as stored.
    Hours { from_ms: i64, to_ms: i64 },
    /// The daily rollups of whole UTC days (both ends UTC midnights), one bucket per dimension
    /// and day, labelled with the day's start.
    Days { from_ms: i64, to_ms: i64 },
    /// The hours folded per dimension into one bucket labelled `from_ms`.
    Fold { from_ms: i64, to_ms: i64 },
    /// The hours folded per dimension and day of a fixed UTC offset: an hour belongs to the
    /// day its start falls in at `offset_ms`, and each day's bucket is labelled with its first
    /// whole hour, at least `from_ms` ([`local_day_label`]). One read (one range scan) stands
    /// for a run of [`Read::Fold`]s that are each one such day, e.g. a year by day in Paris
    /// between two DST changes.
    LocalDays {
        from_ms: i64,
        to_ms: i64,
        offset_ms: i64,
    },
}

/// The label of `hour`'s bucket in a [`Read::LocalDays`] from `from_ms` at `offset_ms`: the
/// first whole hour of its day at that offset, at least `from_ms`.
pub fn local_day_label(hour: i64, from_ms: i64, offset_ms: i64) -> i64 {
    let day_start = (hour + offset_ms).div_euclid(DAY_MS) * DAY_MS - offset_ms;
    ceil_hour(day_start).max(from_ms)
}

/// The day (at a fixed offset) an hour belongs to.
fn day_at(hour: i64, offset_ms: i64) -> i64 {
    (hour + offset_ms).div_euclid(DAY_MS)
}

fn ceil_hour(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS) * HOUR_MS
        + if ms.rem_euclid(HOUR_MS) == 0 {
            0
        } else {
            HOUR_MS
        }
}

fn ceil_day(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
        + if ms.rem_euclid(DAY_MS) == 0 {
            0
        } else {
            DAY_MS
        }
}

/// How to read the buckets that `queries` (ranges at intervals, in `zone`) need, so that each
/// query over the rows read equals the query over all the hours. Reads are sorted and disjoint;
/// hours no query's range holds are not read.
pub fn plan(queries: &[(TimeRange, Interval)], zone: &TimeZone) -> Result<Vec<Read>, QueryError> {
    let mut cuts = BTreeSet::new();
    let mut inside: Vec<(i64, i64)> = Vec::new();
    for (range, interval) in queries {
        let (lo, hi) = (
            ceil_hour(range.start.as_millisecond()),
            ceil_hour(range.end.as_millisecond()),
        );
        if lo >= hi {
            continue;
        }
        cuts.insert(lo);
        cuts.insert(hi);
        inside.push((lo, hi));
        if *interval == Interval::Hour {
            // Every hour is a piece of its own: nothing to fold, read the hours.
            cuts.extend((lo..hi).step_by(HOUR_MS as usize));
            continue;
        }
        let mut at = interval_start(range.start, *interval, zone)?;
        let mut points = 0usize;
        while at < range.end {
            points += 1;
            if points > crate::aggregate::MAX_POINTS {
                return Err(QueryError::TooManyPoints {
                    max: crate::aggregate::MAX_POINTS,
                });
            }
            let b = at.as_millisecond();
            if b > range.start.as_millisecond() {
                cuts.insert(ceil_hour(b));
            }
            at = next_interval_start(at, *interval, zone)?;
        }
    }
    let held = |a: i64, b: i64| inside.iter().any(|&(lo, hi)| lo <= a && b <= hi);
    let mut reads: Vec<Read> = Vec::new();
    let cuts: Vec<i64> = cuts.into_iter().collect();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if !held(a, b) {
            continue;
        }
        let (d0, d1) = (ceil_day(a), b.div_euclid(DAY_MS) * DAY_MS);
        if d0 < d1 {
            piece(&mut reads, a, d0);
            push(
                &mut reads,
                Read::Days {
                    from_ms: d0,
                    to_ms: d1,
                },
            );
            piece(&mut reads, d1, b);
        } else {
            piece(&mut reads, a, b);
        }
    }
    Ok(local_days(reads, zone))
}

/// Joins runs of adjacent [`Read::Fold`]s that are each one whole day at one fixed offset (the
/// zone's at the run's start) into one [`Read::LocalDays`]: the same groups and labels, read
/// with one range scan instead of one span each. Which offset the zone really has inside a
/// piece does not matter: a run is joined only where that offset's days cut the hours exactly
/// as the pieces do, so a DST change just ends a run.
fn local_days(reads: Vec<Read>, zone: &TimeZone) -> Vec<Read> {
    let offset_at = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| i64::from(zone.to_offset(t).seconds()) * 1000)
            .ok()
    };
    // A fold whose hours all fall in one day at `off`, and whose first hour starts that day.
    let one_day = |a: i64, b: i64, off: i64| {
        day_at(a, off) == day_at(b - HOUR_MS, off) && day_at(a - HOUR_MS, off) != day_at(a, off)
    };
    let mut out: Vec<Read> = Vec::with_capacity(reads.len());
    for read in reads {
        if let Read::Fold {
            from_ms: a,
            to_ms: b,
        } = read
        {
            let joined = match out.last_mut() {
                Some(Read::LocalDays {
                    to_ms, offset_ms, ..
                }) if *to_ms == a && one_day(a, b, *offset_ms) => {
                    *to_ms = b;
                    true
                }
                Some(last @ Read::Fold { .. }) => {
                    let Read::Fold {
                        from_ms: pa,
                        to_ms: pb,
                    } = *last
                    else {
                        unreachable!()
                    };
                    // The first day of a run may start later than its day does: it is
                    // labelled with its own start either way.
                    match offset_at(pa) {
                        Some(off)
                            if pb == a
                                && day_at(pa, off) == day_at(pb - HOUR_MS, off)
                                && one_day(a, b, off) =>
                        {
                            *last = Read::LocalDays {
                                from_ms: pa,
                                to_ms: b,
                                offset_ms: off,
                            };
                            true
                        }
                        _ => false,
                    }
                }
                _ => false,
            };
            if joined {
                continue;
            }
        }
        out.push(read);
    }
    out
}

/// Hours `[a, b)` that all fall in one piece: a single hour is read as stored, more are folded.
fn piece(reads: &mut Vec<Read>, a: i64, b: i64) {
    if b - a == HOUR_MS {
        push(
            reads,
            Read::Hours {
                from_ms: a,
                to_ms: b,
            },
        );
    } else if b > a {
        push(
            reads,
            Read::Fold {
                from_ms: a,
                to_ms: b,
            },
        );
    }
}

/// Appends a read, joining it to the previous one when both read rows as they are stored.
fn push(reads: &mut Vec<Read>, read: Read) {
    match (reads.last_mut(), read) {
        (
            Some(Read::Hours { to_ms, .. }),
            Read::Hours {
                from_ms,
                to_ms: end,
            },
        )
        | (
            Some(Read::Days { to_ms, .. }),
            Read::Days {
                from_ms,
                to_ms: end,
            },
        ) if *to_ms == from_ms => *to_ms = end,
        _ => reads.push(read),
    }
}

/// What the store answers for `reads`, computed from the hours themselves: the reference the
/// store's rollups and folds are checked against, and a reader without a store's help.
pub fn fold(hours: &[HourBucket], reads: &[Read]) -> Vec<HourBucket> {
    let mut out = Vec::new();
    for read in reads {
        let mut groups: BTreeMap<(i64, Option<&str>), HourBucket> = BTreeMap::new();
        let (from, to) = match *read {
            Read::Hours { from_ms, to_ms }
            | Read::Days { from_ms, to_ms }
            | Read::Fold { from_ms, to_ms }
            | Read::LocalDays { from_ms, to_ms, .. } => (from_ms, to_ms),
        };
        for h in hours.iter().filter(|h| from <= h.hour && h.hour < to) {
            let label = match read {
                Read::Hours { .. } => h.hour,
                Read::Days { .. } => h.hour.div_euclid(DAY_MS) * DAY_MS,
                Read::Fold { .. } => from,
                Read::LocalDays { offset_ms, .. } => local_day_label(h.hour, from, *offset_ms),
            };
            match groups.get_mut(&(label, h.dimension.as_deref())) {
                Some(g) => g.merge(h),
                None => {
                    let mut g = h.clone();
                    g.hour = label;
                    groups.insert((label, h.dimension.as_deref()), g);
                }
            }
        }
        out.extend(groups.into_values());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn range(a: &str, b: &str) -> TimeRange {
        TimeRange::new(at(a), at(b)).unwrap()
    }

    #[test]
    fn a_month_by_month_in_utc_reads_only_days() {
        let r = range("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z");
        let reads = plan(&[(r, Interval::Month)], &TimeZone::UTC).unwrap();
        assert_eq!(
            reads,
            [Read::Days {
                from_ms: r.start.as_millisecond(),
                to_ms: r.end.as_millisecond()
            }]
        );
    }

    #[test]
    fn a_day_interval_in_paris_folds_each_local_day() {
        let zone = TimeZone::get("Europe/Paris").unwrap();
        let r = range("2026-01-10T23:00:00Z", "2026-01-12T23:00:00Z");
        let reads = plan(&[(r, Interval::Day)], &zone).unwrap();
        assert_eq!(
            reads,
            [Read::LocalDays {
                from_ms: r.start.as_millisecond(),
                to_ms: r.end.as_millisecond(),
                offset_ms: HOUR_MS,
            }]
        );
    }

    #[test]
    fn an_hourly_query_reads_hours() {
        let r = range("2026-01-10T10:30:00Z", "2026-01-10T13:00:00Z");
        let reads = plan(&[(r, Interval::Hour)], &TimeZone::UTC).unwrap();
        assert_eq!(
            reads,
            [Read::Hours {
                from_ms: at("2026-01-10T11:00:00Z").as_millisecond(),
                to_ms: r.end.as_millisecond()
            }]
        );
    }
}
