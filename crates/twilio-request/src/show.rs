/// A user-supplied string made safe to put in an error message: control characters escaped and
/// long values shortened, so an error can never inject lines into a log or a terminal.
pub(crate) fn show(input: &str) -> String {
    const MAX: usize = 80;
    let shown: String = input
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if input.chars().count() > MAX {
        format!("\"{shown}…\"")
    } else {
        format!("\"{shown}\"")
    }
}
