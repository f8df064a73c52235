fn main() {
    std::process::exit(pol::cli::run());
}
