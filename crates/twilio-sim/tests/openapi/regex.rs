//! A tiny regular-expression matcher for the `pattern` keyword of the Twilio specs.
//!
//! The specs only use anchored SID shapes such as `^(SM|MM)[0-9a-fA-F]{32}$`, and the workspace
//! carries no regex crate, so this supports exactly: literals, `.`, `\` escapes (`\d \w \s` and
//! escaped punctuation), classes `[...]` with ranges and `^` negation, groups `( | )`, the anchors
//! `^ $` and the quantifiers `* + ? {n} {n,} {n,m}`. Anything else is a parse error, so an
//! unsupported pattern fails a test loudly instead of passing silently.
//!
//! Matching follows ECMA-262 search semantics (JSON Schema): the pattern may match anywhere unless
//! anchored. It runs as a set-of-positions simulation, so there is no exponential backtracking.

use std::collections::BTreeSet;

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Group(Vec<Vec<Node>>),
    Start,
    End,
    Repeat {
        node: Box<Node>,
        min: usize,
        max: Option<usize>,
    },
}

#[derive(Debug, Clone)]
pub struct Regex {
    alternatives: Vec<Vec<Node>>,
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let alternatives = parse_alternatives(&chars, &mut pos)?;
        if pos != chars.len() {
            return Err(format!("unbalanced ')' at {pos} in pattern {pattern:?}"));
        }
        Ok(Regex { alternatives })
    }

    pub fn is_match(&self, text: &str) -> bool {
        let input: Vec<char> = text.chars().collect();
        let group = Node::Group(self.alternatives.clone());
        (0..=input.len()).any(|start| !ends(&group, &input, start).is_empty())
    }
}

fn parse_alternatives(chars: &[char], pos: &mut usize) -> Result<Vec<Vec<Node>>, String> {
    let mut alternatives = vec![Vec::new()];
    while *pos < chars.len() {
        let c = chars[*pos];
        match c {
            ')' => break,
            '|' => {
                *pos += 1;
                alternatives.push(Vec::new());
            }
            _ => {
                let atom = parse_atom(chars, pos)?;
                let atom = parse_quantifier(chars, pos, atom)?;
                if let Some(seq) = alternatives.last_mut() {
                    seq.push(atom);
                }
            }
        }
    }
    Ok(alternatives)
}

fn parse_atom(chars: &[char], pos: &mut usize) -> Result<Node, String> {
    let c = chars[*pos];
    *pos += 1;
    match c {
        '^' => Ok(Node::Start),
        '$' => Ok(Node::End),
        '.' => Ok(Node::Any),
        '(' => {
            if chars.get(*pos) == Some(&'?') {
                return Err("group modifiers `(?...)` are not supported".into());
            }
            let alternatives = parse_alternatives(chars, pos)?;
            if chars.get(*pos) != Some(&')') {
                return Err("unclosed '('".into());
            }
            *pos += 1;
            Ok(Node::Group(alternatives))
        }
        '[' => parse_class(chars, pos),
        '\\' => parse_escape(chars, pos).map(|(negated, ranges)| {
            if ranges.len() == 1 && !negated && ranges[0].0 == ranges[0].1 {
                Node::Char(ranges[0].0)
            } else {
                Node::Class { negated, ranges }
            }
        }),
        '*' | '+' | '?' | '{' => Err(format!("quantifier {c:?} with nothing to repeat")),
        _ => Ok(Node::Char(c)),
    }
}

/// Returns the class an escape stands for (a single char is a one-char range).
fn parse_escape(chars: &[char], pos: &mut usize) -> Result<(bool, Vec<(char, char)>), String> {
    let Some(&c) = chars.get(*pos) else {
        return Err("pattern ends in '\\'".into());
    };
    *pos += 1;
    let digit = vec![('0', '9')];
    let word = vec![('0', '9'), ('a', 'z'), ('A', 'Z'), ('_', '_')];
    let space = vec![(' ', ' '), ('\t', '\r')];
    Ok(match c {
        'd' => (false, digit),
        'D' => (true, digit),
        'w' => (false, word),
        'W' => (true, word),
        's' => (false, space),
        'S' => (true, space),
        'n' => (false, vec![('\n', '\n')]),
        't' => (false, vec![('\t', '\t')]),
        'r' => (false, vec![('\r', '\r')]),
        c if c.is_ascii_alphanumeric() => return Err(format!("escape \\{c} is not supported")),
        c => (false, vec![(c, c)]),
    })
}

fn parse_class(chars: &[char], pos: &mut usize) -> Result<Node, String> {
    let mut negated = false;
    if chars.get(*pos) == Some(&'^') {
        negated = true;
        *pos += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let Some(&c) = chars.get(*pos) else {
            return Err("unclosed '['".into());
        };
        *pos += 1;
        if c == ']' && !first {
            break;
        }
        first = false;
        let low = if c == '\\' {
            let (neg, class) = parse_escape(chars, pos)?;
            if neg {
                return Err("negated escapes inside a class are not supported".into());
            }
            if class.len() != 1 || class[0].0 != class[0].1 {
                ranges.extend(class);
                continue;
            }
            class[0].0
        } else {
            c
        };
        if chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|&n| n != ']') {
            let high = chars[*pos + 1];
            *pos += 2;
            if high < low {
                return Err(format!("bad range {low}-{high}"));
            }
            ranges.push((low, high));
        } else {
            ranges.push((low, low));
        }
    }
    Ok(Node::Class { negated, ranges })
}

fn parse_quantifier(chars: &[char], pos: &mut usize, atom: Node) -> Result<Node, String> {
    let Some(&c) = chars.get(*pos) else {
        return Ok(atom);
    };
    let (min, max) = match c {
        '*' => (0, None),
        '+' => (1, None),
        '?' => (0, Some(1)),
        '{' => {
            let close = chars[*pos..]
                .iter()
                .position(|&c| c == '}')
                .ok_or("unclosed '{'")?;
            let body: String = chars[*pos + 1..*pos + close].iter().collect();
            *pos += close;
            let number = |s: &str| {
                s.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("bad repetition {{{body}}}"))
            };
            match body.split_once(',') {
                None => {
                    let n = number(&body)?;
                    (n, Some(n))
                }
                Some((low, "")) => (number(low)?, None),
                Some((low, high)) => (number(low)?, Some(number(high)?)),
            }
        }
        _ => return Ok(atom),
    };
    *pos += 1;
    if matches!(chars.get(*pos), Some('?' | '+')) {
        return Err("lazy and possessive quantifiers are not supported".into());
    }
    Ok(Node::Repeat {
        node: Box::new(atom),
        min,
        max,
    })
}

/// Every position where `node` can end when it starts at `start`.
fn ends(node: &Node, input: &[char], start: usize) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    let one = |accept: bool, out: &mut BTreeSet<usize>| {
        if accept {
            out.insert(start + 1);
        }
    };
    match node {
        Node::Char(c) => one(input.get(start) == Some(c), &mut out),
        Node::Any => one(input.get(start).is_some_and(|&c| c != '\n'), &mut out),
        Node::Class { negated, ranges } => one(
            input
                .get(start)
                .is_some_and(|&c| ranges.iter().any(|&(l, h)| l <= c && c <= h) != *negated),
            &mut out,
        ),
        Node::Start => {
            if start == 0 {
                out.insert(start);
            }
        }
        Node::End => {
            if start == input.len() {
                out.insert(start);
            }
        }
        Node::Group(alternatives) => {
            for seq in alternatives {
                out.extend(seq_ends(seq, input, start));
            }
        }
        Node::Repeat { node, min, max } => {
            let mut current: BTreeSet<usize> = BTreeSet::from([start]);
            let mut count = 0;
            if *min == 0 {
                out.insert(start);
            }
            let mut seen = BTreeSet::from([start]);
            while max.is_none_or(|m| count < m) && !current.is_empty() {
                count += 1;
                let mut next = BTreeSet::new();
                for &p in &current {
                    next.extend(ends(node, input, p));
                }
                if count >= *min {
                    out.extend(next.iter().copied());
                }
                // Past the minimum, positions already reached add nothing new (guards `(a*)*`).
                if count >= *min {
                    next.retain(|p| seen.insert(*p));
                }
                current = next;
            }
        }
    }
    out
}

fn seq_ends(seq: &[Node], input: &[char], start: usize) -> BTreeSet<usize> {
    let mut positions = BTreeSet::from([start]);
    for node in seq {
        let mut next = BTreeSet::new();
        for &p in &positions {
            next.extend(ends(node, input, p));
        }
        positions = next;
        if positions.is_empty() {
            break;
        }
    }
    positions
}
