//! The `kqlog` command: argument parsing and exit codes live in `cli/`;
//! everything else is the library.

mod cli;

// Ingest builds and hands off large column buffers batch after batch; the
// system allocator returns them to the kernel and page-faults them back in,
// which cost a sixth of ingest time. mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
