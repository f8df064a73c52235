//! `pol diff OLD NEW`: what changes in behaviour between two versions of a policy.

use super::output::{err, errln, outln};
use crate::analysis::diff::{self, Difference, Report, Status};
use crate::{render, Compiled};
use clap::ValueEnum;
use std::path::{Path, PathBuf};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    Human,
    Json,
    Markdown,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The old and the new version (with --git: the working file only)
    #[arg(num_args = 1..=2, required = true)]
    paths: Vec<PathBuf>,
    /// Compare the working file with its version at this git revision (e.g. HEAD, main)
    #[arg(long, value_name = "REV")]
    git: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    format: DiffFormat,
}

/// A version to compare: its name in the report, and its text.
struct Version {
    name: String,
    source: String,
}

pub fn command(args: DiffArgs) -> i32 {
    let (old, new) = match (&args.git, args.paths.as_slice()) {
        (None, [old, new]) => match (read(old), read(new)) {
            (Ok(o), Ok(n)) => (o, n),
            (Err(c), _) | (_, Err(c)) => return c,
        },
        (Some(rev), [file]) => match (git_show(rev, file), read(file)) {
            (Ok(o), Ok(n)) => (o, n),
            (Err(c), _) | (_, Err(c)) => return c,
        },
        (None, _) => {
            return super::usage_error(
                "give two policy files, the old version then the new one (or --git REV FILE)"
                    .into(),
            )
        }
        (Some(_), _) => {
            return super::usage_error(
                "with --git REV, give one policy file: it is compared with its version at REV"
                    .into(),
            )
        }
    };
    let (Some(a), Some(b)) = (compile(&old), compile(&new)) else {
        errln("a version has errors: fix them, then compare", 2);
        return 2;
    };
    let report = diff::diff(&a.policy, &b.policy, &diff::Options::default());
    let status = match report.status {
        Status::Same => 0,
        Status::Different | Status::NotProved => 1,
    };
    let text = match args.format {
        DiffFormat::Human => human(&report, &old.name, &new.name),
        DiffFormat::Markdown => markdown(&report, &old.name, &new.name),
        DiffFormat::Json => json(&report, &old.name, &new.name),
    };
    outln(text.trim_end(), status);
    status
}

fn read(path: &Path) -> Result<Version, i32> {
    let name = path.display().to_string();
    match super::files::policy_source(path) {
        Ok(source) => Ok(Version { name, source }),
        Err(bad) => {
            err(
                render::human(&[bad.diagnostic], &name, &bad.shown, super::color()),
                2,
            );
            Err(2)
        }
    }
}

/// The file as it is at a git revision (`git show REV:./FILE`, so that the path
/// is read from the current folder like the working file).
fn git_show(rev: &str, file: &Path) -> Result<Version, i32> {
    let spec = format!("{rev}:./{}", file.display());
    let out = std::process::Command::new("git")
        .args(["show", &spec])
        .output();
    match out {
        Ok(o) if o.status.success() => match String::from_utf8(o.stdout) {
            Ok(source) => Ok(Version {
                name: format!("{}@{rev}", file.display()),
                source,
            }),
            Err(_) => {
                errln(format_args!("{spec} is not UTF-8 text"), 2);
                Err(2)
            }
        },
        Ok(o) => {
            errln(
                format_args!(
                    "git cannot show {spec}: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
                2,
            );
            Err(2)
        }
        Err(e) => {
            errln(format_args!("cannot run git: {e}"), 2);
            Err(2)
        }
    }
}

/// Checks a version, printing its diagnostics as `pol check` does.
fn compile(v: &Version) -> Option<Compiled> {
    match crate::compile(&v.source, &v.name) {
        Ok(c) => Some(c),
        Err(diags) => {
            err(render::human(&diags, &v.name, &v.source, super::color()), 2);
            None
        }
    }
}

fn verdict(r: &Report) -> String {
    match r.status {
        Status::Same => format!(
            "same behaviour: no case gets a different answer ({} outputs compared)",
            r.outputs_compared
        ),
        Status::Different => {
            let n = r.differences.len();
            let mut s = format!(
                "{n} output{} answer{} differently",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" }
            );
            if !r.schema_changes.is_empty() {
                s.push_str(&format!(
                    "; {} change{} to the case record",
                    r.schema_changes.len(),
                    if r.schema_changes.len() == 1 { "" } else { "s" }
                ));
            }
            if !r.not_proved.is_empty() {
                s.push_str(&format!("; {} not proved the same", r.not_proved.len()));
            }
            s
        }
        Status::NotProved => format!(
            "no difference found, but {} output{} could not be proved the same",
            r.not_proved.len(),
            if r.not_proved.len() == 1 { "" } else { "s" }
        ),
    }
}

fn schema_line(c: &diff::SchemaChange) -> String {
    let o = c.old.as_deref().unwrap_or("");
    let n = c.new.as_deref().unwrap_or("");
    match c.kind {
        "fact_added" => format!("fact `{}` added ({n})", c.name),
        "fact_removed" => format!("fact `{}` removed (was {o})", c.name),
        "fact_retyped" => format!("fact `{}` changed type: {o} → {n}", c.name),
        "enum_values_changed" => {
            let mut parts = Vec::new();
            if !o.is_empty() {
                parts.push(format!("removed {o}"));
            }
            if !n.is_empty() {
                parts.push(format!("added {n}"));
            }
            format!("values of `{}`: {}", c.name, parts.join("; "))
        }
        "calendar_changed" => "the calendar changed (zone, opening hours or closed days)".into(),
        other => format!("{other} `{}`", c.name),
    }
}

fn case_text(m: &serde_json::Map<String, serde_json::Value>) -> String {
    serde_json::Value::Object(m.clone()).to_string()
}

/// `pol eval` commands that reproduce the difference with each version.
fn reproduce(d: &Difference, file: &str, which: bool) -> String {
    let c = &d.counterexample;
    let case = match (which, &c.old_case, &c.new_case) {
        (false, Some(o), _) => o,
        (true, _, Some(n)) => n,
        _ => &c.case,
    };
    let at =
        c.at.as_ref()
            .map(|a| format!(" --at {a}"))
            .unwrap_or_default();
    format!(
        "echo '{}' | pol eval {file} --case -{at}",
        case_text(case).replace('\'', "'\\''")
    )
}

pub(crate) fn human(r: &Report, old: &str, new: &str) -> String {
    let mut s = format!("pol diff {old} {new}: {}\n", verdict(r));
    if !r.schema_changes.is_empty() {
        s.push_str("\ncase record:\n");
        for c in &r.schema_changes {
            s.push_str(&format!("  {}\n", schema_line(c)));
        }
    }
    for d in &r.differences {
        let c = &d.counterexample;
        s.push_str(&format!("\n{}\n", d.output));
        s.push_str(&format!("  old: {}\n  new: {}\n", d.old, d.new));
        match (&c.old_case, &c.new_case) {
            (Some(o), Some(n)) => {
                s.push_str(&format!("  old case: {}\n", case_text(o)));
                s.push_str(&format!("  new case: {}\n", case_text(n)));
            }
            _ => s.push_str(&format!("  case: {}\n", case_text(&c.case))),
        }
        if let Some(at) = &c.at {
            s.push_str(&format!("  at: {at}\n"));
        }
    }
    if !r.not_proved.is_empty() {
        s.push_str(
            "\nnot proved the same (no difference found, but the search cannot rule one out):\n",
        );
        for n in &r.not_proved {
            s.push_str(&format!("  {}: {}\n", n.output, n.why));
        }
    }
    s
}

fn md_cell(t: &str) -> String {
    t.replace('|', "\\|").replace('\n', " ")
}

pub(crate) fn markdown(r: &Report, old: &str, new: &str) -> String {
    let mut s = format!(
        "### Behaviour changes: `{old}` → `{new}`\n\n{}\n",
        verdict(r)
    );
    if !r.schema_changes.is_empty() {
        s.push_str("\n**Case record**\n\n");
        for c in &r.schema_changes {
            s.push_str(&format!("- {}\n", schema_line(c)));
        }
    }
    if !r.differences.is_empty() {
        s.push_str("\n| output | old | new | case | at |\n|---|---|---|---|---|\n");
        for d in &r.differences {
            let c = &d.counterexample;
            let case = match (&c.old_case, &c.new_case) {
                (Some(o), Some(n)) => {
                    format!("old: `{}` new: `{}`", case_text(o), case_text(n))
                }
                _ => format!("`{}`", case_text(&c.case)),
            };
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                d.output,
                md_cell(&d.old),
                md_cell(&d.new),
                md_cell(&case),
                c.at.as_deref().unwrap_or("")
            ));
        }
        s.push_str("\n<details><summary>Reproduce</summary>\n\n```sh\n");
        for d in &r.differences {
            s.push_str(&format!("# {}\n", d.output));
            s.push_str(&format!(
                "{}\n{}\n",
                reproduce(d, old, false),
                reproduce(d, new, true)
            ));
        }
        s.push_str("```\n\n</details>\n");
    }
    if !r.not_proved.is_empty() {
        s.push_str("\n**Not proved the same**\n\n");
        for n in &r.not_proved {
            s.push_str(&format!("- `{}`: {}\n", n.output, n.why));
        }
    }
    s
}

fn json(r: &Report, old: &str, new: &str) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        old: &'a str,
        new: &'a str,
        #[serde(flatten)]
        report: &'a Report,
    }
    serde_json::to_string_pretty(&Out {
        old,
        new,
        report: r,
    })
    .unwrap_or_default()
}
