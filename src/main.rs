//! The `kqlog` command: argument parsing and exit codes live in `cli/`;
//! everything else is the library.

mod cli;

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    cli::main()
}

/// Ingest builds and hands off column buffers of several MB, batch after
/// batch. By default glibc returns such buffers to the kernel (as their own
/// mappings, or by trimming its heaps) and the next batch faults them back
/// in, each page zeroed again: a sixth of ingest time. Raised thresholds
/// keep them in the heap for reuse; peak memory is unchanged. (mimalloc,
/// tried instead, spread the same buffers over more fresh pages, and with
/// transparent huge pages each fresh page costs far more in a VM.)
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // glibc's largest allowed mmap threshold on 64-bit systems.
    const MMAP_THRESHOLD: libc::c_int = 32 << 20;
    // SAFETY: sets two tuning parameters of the C allocator, before other
    // threads exist; takes no pointers. A rejected value leaves glibc's
    // default, which is only slower.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}
