//! A small driver for profilers (callgrind, perf): load (parse + check) a policy N times.
//!
//! ```sh
//! cargo build --release --example load_profile
//! target/release/examples/load_profile policies/dm_verification.pol 100
//! target/release/examples/load_profile --generated 1000 5
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg-load.out \
//!     target/release/examples/load_profile --generated 10 50
//! # the same loads answered by the cache of checked policies (src/cache.rs):
//! target/release/examples/load_profile --cached policies/dm_verification.pol 100
//! ```

#[path = "../benches/common/mod.rs"]
mod common;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let cached = args.first().is_some_and(|a| a == "--cached");
    if cached {
        args.remove(0);
    }
    let (name, source, rest) = match args.as_slice() {
        [flag, n, rest @ ..] if flag == "--generated" => {
            let rules: usize = n.parse().unwrap_or(10);
            (
                format!("generated_{rules}"),
                common::generated_policy(rules),
                rest,
            )
        }
        [path, rest @ ..] => (
            path.clone(),
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}")),
            rest,
        ),
        [] => panic!("usage: load_profile (POLICY | --generated RULES) [ROUNDS]"),
    };
    let rounds: usize = rest.first().and_then(|n| n.parse().ok()).unwrap_or(100);
    let cache = cached.then(|| {
        let dir = std::env::temp_dir().join(format!("pol-load-profile-{}", std::process::id()));
        let cache = pol::cache::Cache::at(dir);
        let compiled = pol::compile(&source, &name).expect("the policy checks");
        cache.put(&name, &source, &compiled, None);
        cache
    });
    let start = std::time::Instant::now();
    let mut warnings = 0;
    for _ in 0..rounds {
        warnings = match &cache {
            Some(c) => c
                .get(&name, &source)
                .expect("a cache hit")
                .compiled
                .policy
                .rules
                .len(),
            None => common::compile(&source, &name).rules.len(),
        };
    }
    if let Some(c) = &cache {
        let _ = std::fs::remove_dir_all(c.dir());
    }
    let each = start.elapsed() / rounds.max(1) as u32;
    println!(
        "{name}: {} bytes, {warnings} rules, {each:?} per load ({rounds} rounds)",
        source.len()
    );
}
