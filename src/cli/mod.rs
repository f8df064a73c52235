//! The `pol` command line: the edge where files are read and results printed.

mod ask;
pub mod batch;
mod diff;
pub mod files;
mod human;
mod output;
mod serve;

use crate::contract::{DiagnosticsReport, EvalError};
use crate::{render, testing, Compiled, Diagnostic};
use clap::{Parser, Subcommand, ValueEnum};
use files::{CaseReadError, Found};
use output::{err, errln, outln};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "pol",
    version,
    about = "Check, test and run call-center SOP policies written in pol",
    long_about = "pol reads SOP policies (.pol files), checks them, runs their examples, and says what an agent must do on a case.\n\n\
Start with:\n  pol check policies/          find mistakes in every policy\n  pol test policies/           run every example\n  pol eval policies/callback.pol --case case.json --at 2025-05-01T10:00+07:00"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and check policy files or folders (default: policies/)
    Check {
        /// Files or folders; folders are searched for .pol files
        paths: Vec<PathBuf>,
        /// Output format for the diagnostics
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Date used to warn about expired policies (default: today)
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        /// Make every rule or table row that no example exercises an error (A0008)
        #[arg(long)]
        require_coverage: bool,
        /// Fail when the analysis could not finish or prove a check (W0011 and
        /// A0011 become errors): what CI should run
        #[arg(long)]
        strict: bool,
        /// Most seconds the analysis spends on one policy (W0011 when reached)
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        time_limit: u64,
    },
    /// Evaluate a policy on a case record and print the Decision
    Eval {
        /// The policy file
        policy: PathBuf,
        /// The case record (JSON); `-` reads standard input
        #[arg(long, value_name = "FILE", required_unless_present = "batch")]
        case: Option<String>,
        /// Many case records, one JSON object per line (`-` reads standard input):
        /// prints one compact Decision (or error record) per line, in order
        #[arg(long, value_name = "FILE.jsonl", conflicts_with = "case")]
        batch: Option<String>,
        /// Worker threads for --batch (default: one per core)
        #[arg(long, value_name = "N", requires = "batch")]
        threads: Option<usize>,
        /// Evaluation time, e.g. 2025-04-29T10:30+07:00 (without offset: the policy's zone)
        #[arg(long, value_name = "DATETIME")]
        at: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Parse and check the policy even when the cache of checked policies holds it
        /// (so does a non-empty POL_NO_CACHE other than 0; the cache folder is
        /// POL_CACHE_DIR, else $XDG_CACHE_HOME/pol, else ~/.cache/pol)
        #[arg(long)]
        no_cache: bool,
    },
    /// Run every `example` of the policies (default: policies/)
    Test {
        /// Files or folders; folders are searched for .pol files
        paths: Vec<PathBuf>,
        /// Also report, per policy, the rules and table rows no example exercises
        #[arg(long)]
        coverage: bool,
    },
    /// Walk through a call: ask the pending questions one at a time
    Ask {
        /// The policy file
        policy: PathBuf,
        /// Evaluation time, e.g. 2025-04-29T10:30+07:00
        #[arg(long, value_name = "DATETIME")]
        at: Option<String>,
        /// Start from this case record (JSON) instead of an empty one
        #[arg(long, value_name = "FILE")]
        case: Option<PathBuf>,
        /// Save the final case record (JSON) here
        #[arg(long, value_name = "FILE")]
        save_case: Option<PathBuf>,
        /// Save the final Decision (JSON) here
        #[arg(long, value_name = "FILE")]
        save_decision: Option<PathBuf>,
        /// Append the walkthrough as an `example` block to this file (e.g. the policy itself)
        #[arg(long, value_name = "FILE")]
        save_example: Option<PathBuf>,
        /// Name of the saved example
        #[arg(long, value_name = "NAME")]
        example_name: Option<String>,
    },
    /// Serve every policy of a folder over HTTP (see docs/serve.md)
    Serve(serve::ServeArgs),
    /// Show what changes in behaviour between two versions of a policy: every output
    /// that answers differently on some case, with that case
    Diff(diff::DiffArgs),
    /// Print a JSON Schema: of a policy's case record, of the Decision, or of the diagnostics
    #[command(group(
        clap::ArgGroup::new("what")
            .required(true)
            .args(["policy", "decision", "diagnostics"])
    ))]
    Schema {
        /// The policy file: print the schema of its case record
        policy: Option<PathBuf>,
        /// Print the schema of `pol eval` output: a Decision, a --batch line, a case error
        #[arg(long)]
        decision: bool,
        /// Print the schema of `pol check --format json` output
        #[arg(long)]
        diagnostics: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Output formats of `pol check`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for code-scanning tools
    Sarif,
}

/// Runs the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Check {
            paths,
            format,
            today,
            require_coverage,
            strict,
            time_limit,
        } => check(
            paths,
            format,
            today,
            CheckMode {
                require_coverage,
                strict,
                time_limit,
            },
        ),
        Command::Eval {
            policy,
            case,
            batch,
            threads,
            at,
            format,
            no_cache,
        } => match (case, batch) {
            (_, Some(batch)) if format == Format::Human => usage_error(format!(
                "--batch {batch} writes one JSON line per case: --format human is not available with it"
            )),
            (_, Some(batch)) => batch::command(&policy, &batch, at.as_deref(), threads, no_cache),
            (Some(case), None) => eval(&policy, &case, at.as_deref(), format, no_cache),
            (None, None) => usage_error("give the case with --case FILE, or many with --batch FILE.jsonl".into()),
        },
        Command::Test { paths, coverage } => test(paths, coverage),
        Command::Schema {
            policy,
            decision,
            diagnostics,
        } => match policy {
            Some(policy) => schema(&policy),
            None if decision => print_json(&crate::contract::decision_schema()),
            None if diagnostics => print_json(&crate::contract::diagnostics_schema()),
            None => usage_error("give a policy file, --decision or --diagnostics".into()),
        },
        Command::Serve(args) => serve::command(args),
        Command::Diff(args) => diff::command(args),
        Command::Ask { policy, at, case, save_case, save_decision, save_example, example_name } => {
            ask_command(&policy, at.as_deref(), case.as_deref(), save_case, save_decision, save_example, example_name)
        }
    }
}

fn usage_error(message: String) -> i32 {
    let report = miette::miette!("{message}");
    errln(format_args!("{report:?}"), 2);
    2
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A policy file's text. `Err` is the exit code, the diagnostic already printed (1):
/// E0016 when the file cannot be read, E0008 when it is too large, E0014 when it is
/// not UTF-8.
fn read_policy(path: &Path) -> Result<String, i32> {
    files::policy_source(path).map_err(|bad| {
        let name = path.display().to_string();
        err(
            render::human(&[bad.diagnostic], &name, &bad.shown, color()),
            1,
        );
        1
    })
}

fn today_days(today: Option<&str>) -> Result<i32, String> {
    match today {
        Some(t) => crate::time::parse_date(t)
            .ok_or_else(|| format!("`{t}` is not a date such as 2025-06-30")),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Ok(secs.div_euclid(crate::time::SECONDS_PER_DAY) as i32)
        }
    }
}

/// Compiles one file; prints its diagnostics for people. `Err` (the number of
/// errors) when it has errors.
fn load(path: &Path, source: &str) -> Result<Compiled, usize> {
    let name = path.display().to_string();
    let result = crate::compile(source, &name);
    let diags: &[Diagnostic] = match &result {
        Ok(c) => &c.warnings,
        Err(d) => d,
    };
    let status = i32::from(result.is_err());
    err(render::human(diags, &name, source, color()), status);
    result.map_err(|d| d.iter().filter(|x| x.is_error()).count())
}

/// Like [`load`], for evaluating: a policy the cache of checked policies holds is not
/// parsed and checked again (its warnings are printed all the same), and one that
/// passes the check is stored there. `no_cache` (or `POL_NO_CACHE`) leaves the cache alone.
fn load_for_eval(path: &Path, source: &str, no_cache: bool) -> Result<Compiled, usize> {
    let cache = if no_cache {
        None
    } else {
        crate::cache::Cache::from_env()
    };
    let Some(cache) = cache else {
        return load(path, source);
    };
    let name = path.display().to_string();
    if let Some(hit) = cache.get(&name, source) {
        err(
            render::human(&hit.compiled.warnings, &name, source, color()),
            0,
        );
        return Ok(hit.compiled);
    }
    let result = load(path, source);
    if let Ok(compiled) = &result {
        cache.put(&name, source, compiled, None);
    }
    result
}

/// How `pol check` analyses.
struct CheckMode {
    require_coverage: bool,
    strict: bool,
    time_limit: u64,
}

fn check(paths: Vec<PathBuf>, format: CheckFormat, today: Option<String>, mode: CheckMode) -> i32 {
    let today = match today_days(today.as_deref()) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    let found = match files::policy_files(paths) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    let mut json_out = Vec::new();
    let mut sarif_in: Vec<(String, String, Vec<Diagnostic>)> = Vec::new();
    let (mut errors, mut warnings) = (0usize, 0usize);
    let opts = crate::analysis::Options {
        require_coverage: mode.require_coverage,
        max_time: Some(std::time::Duration::from_secs(mode.time_limit)),
        ..crate::analysis::Options::default()
    };
    for f in &found {
        let (name, source, mut checked) = match f {
            Found::File(f) => {
                let name = f.display().to_string();
                let (source, checked) = match files::policy_source(f) {
                    Ok(source) => {
                        let checked = check_policy(&source, f, &name, today, &opts);
                        (source, checked)
                    }
                    Err(bad) => (bad.shown, only(bad.diagnostic)),
                };
                (name, source, checked)
            }
            Found::Unreadable(dir, reason) => (
                dir.display().to_string(),
                String::new(),
                only(files::unreadable(reason, dir)),
            ),
        };
        if mode.strict {
            crate::analysis::strict(&mut checked.diagnostics);
        }
        errors += checked.errors();
        warnings += checked.warnings();
        match format {
            CheckFormat::Human => err(
                render::human(&checked.diagnostics, &name, &source, color()),
                i32::from(errors > 0),
            ),
            CheckFormat::Json => {
                json_out.extend(render::json(&checked.diagnostics, &name, &source))
            }
            CheckFormat::Sarif => sarif_in.push((name, source, checked.diagnostics)),
        }
    }
    let status = i32::from(errors > 0);
    let files_checked = found.iter().filter(|f| matches!(f, Found::File(_))).count();
    match format {
        CheckFormat::Sarif => {
            use crate::analysis::sarif::FileDiagnostics;
            let files: Vec<FileDiagnostics> = sarif_in
                .iter()
                .map(|(file, source, diagnostics)| FileDiagnostics {
                    file,
                    source,
                    diagnostics,
                })
                .collect();
            outln(
                serde_json::to_string_pretty(&crate::analysis::sarif::render(&files))
                    .unwrap_or_default(),
                status,
            )
        }
        CheckFormat::Json => outln(
            serde_json::to_string_pretty(&DiagnosticsReport::new(json_out, files_checked))
                .unwrap_or_default(),
            status,
        ),
        CheckFormat::Human => errln(
            format_args!(
                "checked {} {}: {errors} {}, {warnings} {}",
                files_checked,
                if files_checked == 1 {
                    "policy"
                } else {
                    "policies"
                },
                if errors == 1 { "error" } else { "errors" },
                if warnings == 1 { "warning" } else { "warnings" }
            ),
            status,
        ),
    }
    status
}

/// What `pol check` reports for one policy: the checker's and the analysis's
/// diagnostics and, when the header names the SOP text, the quote check's. The file
/// is parsed once for both.
fn check_policy(
    source: &str,
    path: &Path,
    name: &str,
    today: i32,
    opts: &crate::analysis::Options,
) -> crate::analysis::Checked {
    let file = match crate::syntax::parse(source) {
        Ok(file) => file,
        // The checker reports the syntax errors; there are no quotes to read.
        Err(_) => return crate::analysis::check_source(source, name, Some(today), opts),
    };
    let mut checked = crate::analysis::check_parsed(&file, source, name, Some(today), opts);
    let quotes = crate::quotes::check_quotes(&file, path);
    if !quotes.is_empty() {
        checked.diagnostics.extend(quotes);
        checked
            .diagnostics
            .sort_by_key(|d| (d.primary_span().map(|s| s.start).unwrap_or(0), d.severity));
    }
    checked
}

/// The result of checking a file that never became text: its one diagnostic.
fn only(diagnostic: Diagnostic) -> crate::analysis::Checked {
    crate::analysis::Checked {
        compiled: None,
        diagnostics: vec![diagnostic],
        stats: Default::default(),
    }
}

fn eval(policy_path: &Path, case: &str, at: Option<&str>, format: Format, no_cache: bool) -> i32 {
    let source = match read_policy(policy_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Ok(compiled) = load_for_eval(policy_path, &source, no_cache) else {
        errln("the policy has errors: fix them, then evaluate", 1);
        return 1;
    };
    let at = match at {
        None => None,
        Some(t) => match compiled.policy.parse_at(t) {
            Some(i) => Some(i),
            None => {
                return usage_error(format!(
                    "`{t}` is not a date and time such as 2025-04-29T10:30+07:00"
                ))
            }
        },
    };
    let result = match files::case_text(case) {
        Ok(text) => crate::Engine::new(compiled.policy).evaluate_json(&text, at),
        Err(CaseReadError::Usage(e)) => return usage_error(e),
        Err(CaseReadError::TooLarge(e)) => Err(e),
    };
    match result {
        Ok(d) => {
            let text = match format {
                Format::Json => d.to_json(),
                Format::Human => human::decision(&d),
            };
            outln(text, 0);
            0
        }
        Err(e) => {
            let src = if case == "-" {
                "<stdin>".to_string()
            } else {
                case.to_string()
            };
            match format {
                Format::Json => outln(
                    serde_json::to_string_pretty(&EvalError::new(&e, &src)).unwrap_or_default(),
                    2,
                ),
                Format::Human => {}
            }
            errln(
                format_args!(
                    "error[{}]: bad case record {src} at {}: {}\n  expected: {}\n  found: {}",
                    e.code, e.path, e.message, e.expected, e.found
                ),
                2,
            );
            2
        }
    }
}

fn test(paths: Vec<PathBuf>, coverage: bool) -> i32 {
    let found = match files::policy_files(paths) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for f in &found {
        let f = match f {
            Found::File(f) => f,
            Found::Unreadable(dir, reason) => {
                let name = dir.display().to_string();
                err(
                    render::human(&[files::unreadable(reason, dir)], &name, "", color()),
                    1,
                );
                outln(format_args!("FAILED {name}: it cannot be read"), 1);
                failed += 1;
                continue;
            }
        };
        let compiled = match read_policy(f).map(|source| load(f, &source)) {
            Ok(Ok(c)) => c,
            Ok(Err(_)) | Err(_) => {
                outln(
                    format_args!(
                        "FAILED {}: the policy has errors, no example can run",
                        f.display()
                    ),
                    1,
                );
                failed += 1;
                continue;
            }
        };
        let engine = crate::Engine::new(compiled.policy);
        for r in testing::run_examples(&engine) {
            if r.passed() {
                passed += 1;
                outln(
                    format_args!("ok     {} — {}", r.location, r.name),
                    i32::from(failed > 0),
                );
            } else {
                failed += 1;
                outln(format_args!("FAILED {} — {}", r.location, r.name), 1);
                for fl in &r.failures {
                    outln(format_args!("         {}: {}", fl.at, fl.message), 1);
                }
            }
        }
        if coverage {
            let report = crate::analysis::coverage::coverage(engine.policy());
            output::out(
                report.report(&f.display().to_string()),
                i32::from(failed > 0),
            );
        }
    }
    let status = i32::from(failed > 0);
    outln(format_args!("{passed} passed, {failed} failed"), status);
    status
}

#[allow(
    clippy::too_many_arguments,
    reason = "one argument per command-line option"
)]
fn ask_command(
    policy_path: &Path,
    at: Option<&str>,
    case: Option<&Path>,
    save_case: Option<PathBuf>,
    save_decision: Option<PathBuf>,
    save_example: Option<PathBuf>,
    example_name: Option<String>,
) -> i32 {
    let source = match read_policy(policy_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Ok(compiled) = load(policy_path, &source) else {
        return 1;
    };
    let at = match at {
        None => {
            // An interactive session happens now: say so, and record it in a saved example.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let shown =
                crate::time::format_instant(now, compiled.policy.calendar.zone.offset_at(now));
            errln(
                format_args!("evaluation time: {shown} (now; pass --at to choose another)"),
                0,
            );
            Some(now)
        }
        Some(t) => match compiled.policy.parse_at(t) {
            Some(i) => Some(i),
            None => {
                return usage_error(format!(
                    "`{t}` is not a date and time such as 2025-04-29T10:30+07:00"
                ))
            }
        },
    };
    let start = match case {
        None => serde_json::Map::new(),
        Some(p) => {
            // `-` is a file here: standard input holds the answers.
            let name = if p == Path::new("-") {
                "./-".to_string()
            } else {
                p.to_string_lossy().into_owned()
            };
            let text = match files::case_text(&name) {
                Ok(t) => t,
                Err(CaseReadError::Usage(e)) => return usage_error(e),
                Err(CaseReadError::TooLarge(e)) => {
                    return usage_error(format!(
                        "bad case record {}: error[{}]: {}",
                        p.display(),
                        e.code,
                        e.message
                    ))
                }
            };
            if let Err(e) = crate::decode_case(&compiled.policy, &text) {
                return usage_error(format!(
                    "bad case record {} at {}: {}",
                    p.display(),
                    e.path,
                    e.message
                ));
            }
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => return usage_error(format!("{} is not a JSON object", p.display())),
            }
        }
    };
    ask::run(
        &crate::Engine::new(compiled.policy),
        ask::AskOptions {
            at,
            start,
            save_case,
            save_decision,
            save_example,
            example_name,
        },
    )
}

fn print_json(v: &serde_json::Value) -> i32 {
    outln(serde_json::to_string_pretty(v).unwrap_or_default(), 0);
    0
}

fn schema(policy_path: &Path) -> i32 {
    let source = match read_policy(policy_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match load(policy_path, &source) {
        Ok(c) => {
            outln(
                serde_json::to_string_pretty(&crate::schema::case_schema(&c.policy))
                    .unwrap_or_default(),
                0,
            );
            0
        }
        Err(_) => 1,
    }
}
