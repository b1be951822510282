//! The `kqlog` command: argument parsing and exit codes live in `cli/`;
//! everything else is the library.

mod cli;

// Ingest builds and hands off large column buffers batch after batch; the
// system allocator returns them to the kernel and page-faults them back in,
// which cost a sixth of ingest time. mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the same in its v2 and v3 headers).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Freed memory is handed back to the kernel 10 ms later by default;
    // ingest frees and reallocates its buffers at a steadier pace than
    // that, and every page handed back is zeroed again when it returns (a
    // tenth of ingest time). Keeping them costs no peak memory.
    // SAFETY: sets a process-wide option of the allocator this binary
    // links, before other threads exist; takes no pointers.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1)
    };
    cli::main()
}
