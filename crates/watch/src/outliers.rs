//! Which account is out of line: each account's value of one metric (a delivery rate, a cost per
//! message) judged against every judged account's median with a robust z-score, so one account
//! far off cannot drag the yardstick it is measured by (as a mean and standard deviation would).
//!
//! The score is Iglewicz and Hoaglin's modified z-score, `0.6745 · (x − median) / MAD`, where
//! MAD is the median of the absolute deviations from the median; 0.6745 makes it comparable to
//! a standard z-score for normal data, and `|z| ≥ 3.5` is their threshold for an outlier. When
//! more than half the accounts share one value the MAD is 0, so the mean absolute deviation
//! (times 1.2533, its own normal-consistency factor) stands in; when that is 0 too, every
//! account holds the same value and none is out of line.
//!
//! An account with too few rows has a value that says little (3 messages, one failed: a 67 %
//! delivery rate), so it is listed apart and never ranked. No I/O.

use std::cmp::Ordering;
use std::fmt;

use metric::Trend;
use serde::Serialize;

/// Iglewicz–Hoaglin: `|z|` at or beyond this is out of line.
pub const THRESHOLD: f64 = 3.5;
/// The fewest rows an account's value must rest on to be judged.
pub const MIN_VOLUME: u64 = 20;
/// The fewest judged accounts that have a median worth comparing against.
pub const MIN_ACCOUNTS: usize = 3;
/// `z = MAD_FACTOR · (x − median) / MAD`: the normal distribution's MAD is 0.6745 σ.
const MAD_FACTOR: f64 = 0.6745;
/// The normal distribution's mean absolute deviation is σ / 1.2533.
const MEAN_DEVIATION_FACTOR: f64 = 1.2533;

/// One account's value over the range and how many rows it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountValue {
    /// The account's SID.
    pub account: String,
    pub value: f64,
    pub volume: u64,
}

/// What the judgement uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Accounts with fewer rows are "too few to judge".
    pub min_volume: u64,
    /// `|z|` at or beyond this is out of line.
    pub threshold: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            min_volume: MIN_VOLUME,
            threshold: THRESHOLD,
        }
    }
}

/// The spread the scores are measured in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Spread {
    /// The median absolute deviation from the median.
    Mad(f64),
    /// The MAD was 0: the mean absolute deviation from the median.
    MeanDeviation(f64),
    /// Every judged account holds the median: nothing is out of line.
    None,
}

impl Spread {
    /// The deviation from the median that scores 1, or `None` when there is no spread.
    pub fn unit(self) -> Option<f64> {
        match self {
            Spread::Mad(mad) => Some(mad / MAD_FACTOR),
            Spread::MeanDeviation(mean) => Some(mean * MEAN_DEVIATION_FACTOR),
            Spread::None => None,
        }
    }
}

/// Which side of the median an account is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Above,
    Below,
}

/// One judged account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged {
    pub account: String,
    pub value: f64,
    pub volume: u64,
    /// The robust z-score: how many robust standard deviations from the median.
    pub z: f64,
    /// `|z| ≥` the threshold.
    pub out_of_line: bool,
    /// `None` at the median.
    pub side: Option<Side>,
    /// Off the median on the side the metric's favourable trend calls bad news (a delivery
    /// rate below, a cost above).
    pub unfavourable: bool,
}

/// The judged accounts, most out of line first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    pub median: f64,
    pub spread: Spread,
    pub accounts: Vec<Judged>,
}

impl Ranking {
    pub fn out_of_line(&self) -> impl Iterator<Item = &Judged> {
        self.accounts.iter().filter(|a| a.out_of_line)
    }

    /// The values that score inside `threshold`: `(lower, upper)` around the median, none when
    /// the accounts have no spread.
    pub fn band(&self, threshold: f64) -> Option<(f64, f64)> {
        let unit = self.spread.unit()?;
        Some((
            self.median - threshold * unit,
            self.median + threshold * unit,
        ))
    }
}

/// Why there is no ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotRanked {
    /// Fewer than [`MIN_ACCOUNTS`] accounts have enough rows.
    TooFewAccounts { judged: usize, min_volume: u64 },
}

impl fmt::Display for NotRanked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NotRanked::TooFewAccounts { judged, min_volume } => {
                let have = match judged {
                    0 => "no account has".to_owned(),
                    1 => "only 1 account has".to_owned(),
                    n => format!("only {n} accounts have"),
                };
                write!(
                    f,
                    "{have} at least {min_volume} rows in this range; at least \
                     {MIN_ACCOUNTS} are needed to say which one is out of line"
                )
            }
        }
    }
}

/// The judgement of every account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub ranking: Result<Ranking, NotRanked>,
    /// Accounts below the minimum volume, by account: listed, never ranked.
    pub too_few: Vec<AccountValue>,
    pub settings_min_volume: u64,
}

/// Judges `accounts` against their median. `favourable` says which side is bad news.
pub fn judge(accounts: Vec<AccountValue>, favourable: Trend, settings: Settings) -> Report {
    let (judged, mut too_few): (Vec<AccountValue>, Vec<AccountValue>) = accounts
        .into_iter()
        .partition(|a| a.volume >= settings.min_volume && a.value.is_finite());
    too_few.sort_by(|a, b| a.account.cmp(&b.account));
    let ranking = if judged.len() < MIN_ACCOUNTS {
        Err(NotRanked::TooFewAccounts {
            judged: judged.len(),
            min_volume: settings.min_volume,
        })
    } else {
        Ok(rank(judged, favourable, settings.threshold))
    };
    Report {
        ranking,
        too_few,
        settings_min_volume: settings.min_volume,
    }
}

fn rank(judged: Vec<AccountValue>, favourable: Trend, threshold: f64) -> Ranking {
    let values: Vec<f64> = judged.iter().map(|a| a.value).collect();
    let median = median(&values);
    let spread = spread(&values, median);
    let mut accounts: Vec<Judged> = judged
        .into_iter()
        .map(|a| score(a, median, spread, favourable, threshold))
        .collect();
    accounts.sort_by(|a, b| {
        b.z.abs()
            .total_cmp(&a.z.abs())
            .then_with(|| b.unfavourable.cmp(&a.unfavourable))
            .then_with(|| a.account.cmp(&b.account))
    });
    Ranking {
        median,
        spread,
        accounts,
    }
}

fn score(
    a: AccountValue,
    median: f64,
    spread: Spread,
    favourable: Trend,
    threshold: f64,
) -> Judged {
    let z = match spread.unit() {
        Some(unit) => (a.value - median) / unit,
        None => 0.0,
    };
    let side = match a.value.partial_cmp(&median) {
        Some(Ordering::Greater) => Some(Side::Above),
        Some(Ordering::Less) => Some(Side::Below),
        _ => None,
    };
    let unfavourable = matches!(
        (side, favourable),
        (Some(Side::Below), Trend::Up) | (Some(Side::Above), Trend::Down)
    );
    Judged {
        account: a.account,
        value: a.value,
        volume: a.volume,
        out_of_line: z.abs() >= threshold,
        z,
        side,
        unfavourable,
    }
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The MAD, or the mean absolute deviation when the MAD is 0, or none when both are.
pub fn spread(values: &[f64], median_value: f64) -> Spread {
    let deviations: Vec<f64> = values.iter().map(|v| (v - median_value).abs()).collect();
    let mad = median(&deviations);
    if mad > 0.0 {
        return Spread::Mad(mad);
    }
    let mean = deviations.iter().sum::<f64>() / deviations.len().max(1) as f64;
    if mean > 0.0 {
        Spread::MeanDeviation(mean)
    } else {
        Spread::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(account: &str, value: f64, volume: u64) -> AccountValue {
        AccountValue {
            account: account.to_owned(),
            value,
            volume,
        }
    }

    fn ranked(report: &Report) -> &Ranking {
        report.ranking.as_ref().expect("a ranking")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_account_far_below_the_median_ranks_first_and_is_flagged() {
        // Values 90, 91, 92, 93, 60. Sorted: 60 90 91 92 93, median 91.
        // Deviations 1, 0, 1, 2, 31 → sorted 0 1 1 2 31, MAD 1.
        // z(60) = 0.6745 · (60 − 91) / 1 = −20.9095.
        let report = judge(
            vec![
                acc("a", 90.0, 100),
                acc("b", 91.0, 100),
                acc("c", 92.0, 100),
                acc("d", 93.0, 100),
                acc("e", 60.0, 100),
            ],
            Trend::Up,
            Settings::default(),
        );
        let r = ranked(&report);
        assert_eq!(r.median, 91.0);
        assert_eq!(r.spread, Spread::Mad(1.0));
        let first = &r.accounts[0];
        assert_eq!(first.account, "e");
        assert!(close(first.z, -20.9095), "{}", first.z);
        assert!(first.out_of_line);
        assert_eq!(first.side, Some(Side::Below));
        assert!(first.unfavourable);
        assert_eq!(r.out_of_line().count(), 1);
    }

    #[test]
    fn an_account_just_inside_the_threshold_is_in_line() {
        // Values 10, 12, 14, 16, 18: median 14; deviations 4 2 0 2 4, MAD 2.
        // z(18) = 0.6745 · 4 / 2 = 1.349: in line.
        let report = judge(
            (0..5)
                .map(|i| acc(&format!("a{i}"), 10.0 + 2.0 * i as f64, 50))
                .collect(),
            Trend::Up,
            Settings::default(),
        );
        let r = ranked(&report);
        assert_eq!((r.median, r.spread), (14.0, Spread::Mad(2.0)));
        assert!(close(r.accounts[0].z.abs(), 1.349));
        assert_eq!(r.out_of_line().count(), 0);
    }

    #[test]
    fn a_zero_mad_falls_back_to_the_mean_absolute_deviation() {
        // Values 5, 5, 5, 5, 15: median 5, deviations 0 0 0 0 10, MAD 0.
        // Mean absolute deviation 10 / 5 = 2; z(15) = 10 / (1.2533 · 2) = 3.98947: flagged.
        let report = judge(
            vec![
                acc("a", 5.0, 30),
                acc("b", 5.0, 30),
                acc("c", 5.0, 30),
                acc("d", 5.0, 30),
                acc("e", 15.0, 30),
            ],
            Trend::Down,
            Settings::default(),
        );
        let r = ranked(&report);
        assert_eq!(r.spread, Spread::MeanDeviation(2.0));
        assert_eq!(r.accounts[0].account, "e");
        assert!(close(r.accounts[0].z, 10.0 / (1.2533 * 2.0)));
        assert!(r.accounts[0].out_of_line);
        assert!(r.accounts[0].unfavourable, "a cost above the median");
    }

    #[test]
    fn accounts_that_all_agree_are_all_in_line() {
        let report = judge(
            (0..4).map(|i| acc(&format!("a{i}"), 7.0, 40)).collect(),
            Trend::Up,
            Settings::default(),
        );
        let r = ranked(&report);
        assert_eq!(r.spread, Spread::None);
        assert!(r.accounts.iter().all(|a| a.z == 0.0 && !a.out_of_line));
    }

    #[test]
    fn a_low_volume_account_is_listed_apart_and_never_ranked() {
        let report = judge(
            vec![
                acc("a", 90.0, 20),
                acc("b", 91.0, 25),
                acc("c", 92.0, 30),
                acc("tiny", 0.0, 19),
            ],
            Trend::Up,
            Settings::default(),
        );
        let r = ranked(&report);
        assert_eq!(r.accounts.len(), 3);
        assert!(r.accounts.iter().all(|a| a.account != "tiny"));
        assert_eq!(report.too_few, vec![acc("tiny", 0.0, 19)]);
        // Median of 90 91 92 is 91 with the tiny account left out.
        assert_eq!(r.median, 91.0);
    }

    #[test]
    fn fewer_than_three_judged_accounts_give_no_ranking_in_words() {
        let report = judge(
            vec![acc("a", 1.0, 100), acc("b", 2.0, 100), acc("c", 3.0, 5)],
            Trend::Up,
            Settings::default(),
        );
        let reason = report.ranking.expect_err("no ranking");
        assert_eq!(
            reason.to_string(),
            "only 2 accounts have at least 20 rows in this range; at least 3 are needed to say \
             which one is out of line"
        );
        assert_eq!(report.too_few.len(), 1);
    }

    #[test]
    fn an_even_count_takes_the_mean_of_the_middle_two() {
        // 1 2 3 10: median 2.5; deviations 1.5 0.5 0.5 7.5 → sorted 0.5 0.5 1.5 7.5, MAD 1.0.
        let values = [3.0, 1.0, 10.0, 2.0];
        assert_eq!(median(&values), 2.5);
        assert_eq!(spread(&values, 2.5), Spread::Mad(1.0));
    }

    #[test]
    fn the_favourable_side_of_the_median_is_not_unfavourable() {
        // A delivery rate far above the others is out of line, but good news.
        let report = judge(
            vec![
                acc("a", 50.0, 100),
                acc("b", 51.0, 100),
                acc("c", 52.0, 100),
                acc("d", 99.0, 100),
            ],
            Trend::Up,
            Settings::default(),
        );
        let top = &ranked(&report).accounts[0];
        assert_eq!((top.account.as_str(), top.side), ("d", Some(Side::Above)));
        assert!(top.out_of_line && !top.unfavourable);
    }
}
