//! Calculated metrics: a formula over other metrics, evaluated per interval after each input
//! has been aggregated. `+ - * /`, parentheses, unary minus and decimal constants; an input is
//! named by an identifier (`delivered`) or, for any other name, in braces (`{Messages sent}`).
//! A missing input or a division by zero gives no value, never infinity.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    root: Node,
    source: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Const(f64),
    Input(String),
    Neg(Box<Node>),
    Bin(Op, Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormulaError {
    #[error("formula: {message} at character {at}")]
    Syntax { message: String, at: usize },
    #[error("formula: input {name:?} has {got} points, expected {expected} like the others")]
    LengthMismatch {
        name: String,
        got: usize,
        expected: usize,
    },
    #[error("formula: no series given for input {name:?}")]
    MissingInput { name: String },
}

/// Nesting deeper than this is refused, so a hostile formula cannot exhaust the stack.
const MAX_NESTING: usize = 64;

impl Formula {
    pub fn parse(source: &str) -> Result<Self, FormulaError> {
        let mut p = Parser {
            chars: source.char_indices().collect(),
            pos: 0,
            depth: 0,
        };
        let root = p.expr()?;
        p.skip_ws();
        if let Some(&(at, c)) = p.chars.get(p.pos) {
            return Err(FormulaError::Syntax {
                message: format!("unexpected {c:?}"),
                at,
            });
        }
        Ok(Formula {
            root,
            source: source.to_owned(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The names of the metrics the formula reads.
    pub fn inputs(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        collect(&self.root, &mut out);
        out
    }

    /// Evaluates once, looking each input up with `input`.
    pub fn evaluate(&self, input: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        eval(&self.root, input).filter(|v| v.is_finite())
    }

    /// Evaluates point by point over aligned series (same intervals, same length).
    pub fn evaluate_series(
        &self,
        inputs: &BTreeMap<String, Vec<Option<f64>>>,
    ) -> Result<Vec<Option<f64>>, FormulaError> {
        let names = self.inputs();
        let mut len = None;
        for name in &names {
            let series = inputs
                .get(name)
                .ok_or_else(|| FormulaError::MissingInput { name: name.clone() })?;
            match len {
                None => len = Some(series.len()),
                Some(expected) if expected != series.len() => {
                    return Err(FormulaError::LengthMismatch {
                        name: name.clone(),
                        got: series.len(),
                        expected,
                    });
                }
                Some(_) => {}
            }
        }
        let len = len.unwrap_or(0);
        Ok((0..len)
            .map(|i| self.evaluate(&|name| inputs.get(name).and_then(|s| s.get(i).copied()?)))
            .collect())
    }
}

fn collect(n: &Node, out: &mut BTreeSet<String>) {
    match n {
        Node::Const(_) => {}
        Node::Input(name) => {
            out.insert(name.clone());
        }
        Node::Neg(a) => collect(a, out),
        Node::Bin(_, a, b) => {
            collect(a, out);
            collect(b, out);
        }
    }
}

fn eval(n: &Node, input: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    let v = match n {
        Node::Const(c) => *c,
        Node::Input(name) => input(name)?,
        Node::Neg(a) => -eval(a, input)?,
        Node::Bin(op, a, b) => {
            let (x, y) = (eval(a, input)?, eval(b, input)?);
            match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
                Op::Div if y == 0.0 => return None,
                Op::Div => x / y,
            }
        }
    };
    v.is_finite().then_some(v)
}

struct Parser {
    chars: Vec<(usize, char)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn skip_ws(&mut self) {
        while self
            .chars
            .get(self.pos)
            .is_some_and(|(_, c)| c.is_whitespace())
        {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).map(|&(_, c)| c)
    }

    fn at(&self) -> usize {
        self.chars.get(self.pos).map_or_else(
            || self.chars.last().map_or(0, |(i, c)| i + c.len_utf8()),
            |&(i, _)| i,
        )
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, FormulaError> {
        Err(FormulaError::Syntax {
            message: message.into(),
            at: self.at(),
        })
    }

    fn expr(&mut self) -> Result<Node, FormulaError> {
        let mut left = self.term()?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.pos += 1;
            let right = self.term()?;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Node, FormulaError> {
        let mut left = self.factor()?;
        while let Some(c @ ('*' | '/')) = self.peek() {
            self.pos += 1;
            let right = self.factor()?;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Node, FormulaError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.err(format!("nesting deeper than {MAX_NESTING}"));
        }
        let node = self.atom();
        self.depth -= 1;
        node
    }

    fn atom(&mut self) -> Result<Node, FormulaError> {
        match self.peek() {
            None => self.err("expected a number, a metric or '(', found the end"),
            Some('-') => {
                self.pos += 1;
                Ok(Node::Neg(Box::new(self.factor()?)))
            }
            Some('(') => {
                self.pos += 1;
                let inner = self.expr()?;
                if self.peek() != Some(')') {
                    return self.err("expected ')'");
                }
                self.pos += 1;
                Ok(inner)
            }
            Some('{') => {
                self.pos += 1;
                let start = self.pos;
                while self.chars.get(self.pos).is_some_and(|&(_, c)| c != '}') {
                    self.pos += 1;
                }
                if self.pos >= self.chars.len() {
                    return self.err("expected '}' to close the metric name");
                }
                let name: String = self.chars[start..self.pos]
                    .iter()
                    .map(|&(_, c)| c)
                    .collect();
                self.pos += 1;
                let name = name.trim().to_owned();
                if name.is_empty() {
                    return self.err("empty metric name in braces");
                }
                Ok(Node::Input(name))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.pos;
                while self
                    .chars
                    .get(self.pos)
                    .is_some_and(|&(_, c)| c.is_ascii_digit() || c == '.')
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos]
                    .iter()
                    .map(|&(_, c)| c)
                    .collect();
                match text.parse::<f64>() {
                    Ok(v) => Ok(Node::Const(v)),
                    Err(_) => {
                        self.pos = start;
                        self.err(format!("{text:?} is not a number"))
                    }
                }
            }
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while self
                    .chars
                    .get(self.pos)
                    .is_some_and(|&(_, c)| c.is_alphanumeric() || c == '_')
                {
                    self.pos += 1;
                }
                Ok(Node::Input(
                    self.chars[start..self.pos]
                        .iter()
                        .map(|&(_, c)| c)
                        .collect(),
                ))
            }
            Some(c) => self.err(format!("unexpected {c:?}")),
        }
    }
}
