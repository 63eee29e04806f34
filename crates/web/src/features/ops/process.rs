//! The standard `process_*` figures, read from `/proc/self` on Linux (elsewhere they are left
//! out): a few lines instead of a metrics library.

use std::fmt::Write as _;

/// Linux reports CPU times and start times in clock ticks of this many per second (`USER_HZ`,
/// fixed at 100 for user space on every architecture Linux supports).
const TICKS_PER_SECOND: f64 = 100.0;

/// What `/proc/self` says; a figure it could not read is `None` and left out.
#[derive(Debug, Default, PartialEq)]
pub struct ProcessFigures {
    pub resident_bytes: Option<u64>,
    pub cpu_seconds: Option<f64>,
    pub start_time_seconds: Option<f64>,
    pub open_fds: Option<u64>,
}

impl ProcessFigures {
    pub fn read() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").ok();
        let stat = std::fs::read_to_string("/proc/self/stat").ok();
        let boot = std::fs::read_to_string("/proc/stat").ok();
        let (cpu_seconds, start_ticks) = stat.as_deref().map(parse_stat).unwrap_or_default();
        let boot_seconds = boot.as_deref().and_then(parse_boot_time);
        Self {
            resident_bytes: status.as_deref().and_then(parse_rss),
            cpu_seconds,
            start_time_seconds: boot_seconds
                .zip(start_ticks)
                .map(|(boot, ticks)| boot as f64 + ticks as f64 / TICKS_PER_SECOND),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|d| d.count() as u64),
        }
    }
}

/// `VmRSS:     18232 kB` in `/proc/self/status`.
fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `/proc/self/stat`: user and system CPU ticks (fields 14 and 15) and the start time in ticks
/// since boot (field 22). The command name (field 2) may hold spaces, so fields are counted
/// after its closing parenthesis.
fn parse_stat(stat: &str) -> (Option<f64>, Option<u64>) {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return (None, None);
    };
    // `rest` starts at field 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    let cpu = field(14)
        .zip(field(15))
        .map(|(user, system)| (user + system) as f64 / TICKS_PER_SECOND);
    (cpu, field(22))
}

/// `btime 1733356800` in `/proc/stat`: the boot time in Unix seconds.
fn parse_boot_time(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

pub fn render(out: &mut String) {
    let figures = ProcessFigures::read();
    let series = [
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            figures.resident_bytes.map(|v| v.to_string()),
        ),
        (
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time spent, in seconds.",
            figures.cpu_seconds.map(|v| v.to_string()),
        ),
        (
            "process_start_time_seconds",
            "gauge",
            "When the process started, in Unix seconds.",
            figures.start_time_seconds.map(|v| v.to_string()),
        ),
        (
            "process_open_fds",
            "gauge",
            "Open file descriptors.",
            figures.open_fds.map(|v| v.to_string()),
        ),
    ];
    // A figure this platform does not give is left out rather than shown as zero.
    for (name, kind, help, value) in series {
        if let Some(value) = value {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces() {
        // Fields 3..=22 of a process named "sb (x) y": utime 250, stime 50, starttime 12345.
        let stat = "4242 (sb (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 \
                    12345 1000000 500";
        assert_eq!(parse_stat(stat), (Some(3.0), Some(12345)));
    }

    #[test]
    fn resident_memory_is_read_in_kilobytes() {
        let status = "Name:\tswitchboard\nVmPeak:\t  30000 kB\nVmRSS:\t   18232 kB\n";
        assert_eq!(parse_rss(status), Some(18232 * 1024));
    }

    #[test]
    fn boot_time_is_the_btime_line() {
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1733356800\nprocesses 9\n"),
            Some(1_733_356_800)
        );
    }
}
