//! The `sdrs` binary: parse the command line, run it, exit with its status.

fn main() {
    std::process::exit(sdrs_cli::main_with(std::env::args_os()));
}
