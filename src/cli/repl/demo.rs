//! The demo workspace: sample logs compiled into the binary, ingested once
//! into the user's cache folder, so `kqlog` with no workspace anywhere
//! still opens on real-looking data.

use std::path::{Path, PathBuf};

use kqlog::Error;

macro_rules! sample {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/logs/", $path)) as &[u8])),*]
    };
}

/// The bundled collections: a Docker host (a Windows IIS container under
/// LogMonitor, a Linux API), a Kubernetes node's pod logs, a capture and
/// Docker events.
const FILES: &[(&str, &[u8])] = sample![
    "docker/containers/4066aa4f5e4925e287198d783613b66f04e67576d60945da4fdac427cd8cce13/4066aa4f5e4925e287198d783613b66f04e67576d60945da4fdac427cd8cce13-json.log",
    "docker/containers/4066aa4f5e4925e287198d783613b66f04e67576d60945da4fdac427cd8cce13/4066aa4f5e4925e287198d783613b66f04e67576d60945da4fdac427cd8cce13-json.log.1.gz",
    "docker/containers/4066aa4f5e4925e287198d783613b66f04e67576d60945da4fdac427cd8cce13/config.v2.json",
    "docker/containers/5d88be906aac963eb4542ea13055ea394d68a72a25f4421e9f92ef9b301a4dd2/5d88be906aac963eb4542ea13055ea394d68a72a25f4421e9f92ef9b301a4dd2-json.log",
    "docker/containers/5d88be906aac963eb4542ea13055ea394d68a72a25f4421e9f92ef9b301a4dd2/5d88be906aac963eb4542ea13055ea394d68a72a25f4421e9f92ef9b301a4dd2-json.log.1",
    "docker/containers/5d88be906aac963eb4542ea13055ea394d68a72a25f4421e9f92ef9b301a4dd2/config.v2.json",
    "docker/containers/5d88be906aac963eb4542ea13055ea394d68a72a25f4421e9f92ef9b301a4dd2/hostconfig.json",
    "k8s/pods/kube-system_coredns-5d78c9869d-abcde_4e71d0a8-25c9-4f3b-9e16-b80c5a7d2f41/coredns/0.log",
    "k8s/pods/legacy_batch-job-xyz_c05a9e3b-6d14-4a72-8f2e-71b3d9c6e058/worker/0.log",
    "k8s/pods/shop_cart-7d9f8b6c5d-x2k4q_9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart/0.log",
    "k8s/pods/shop_cart-7d9f8b6c5d-x2k4q_9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart/1.log",
    "capture/logmonitor-iis.log",
    "capture/plain-no-timestamps.log",
    "events/docker-events.jsonl",
];

/// `/var/log/containers` links, which carry the container ids.
#[cfg_attr(not(unix), allow(dead_code))]
const LINKS: &[(&str, &str)] = &[
    (
        "k8s/containers/batch-job-xyz_legacy_worker-ae0e7b4f63048c8d1d15a670192d7be5430f669072814e5d645ac08c25d48fc1.log",
        "../pods/legacy_batch-job-xyz_c05a9e3b-6d14-4a72-8f2e-71b3d9c6e058/worker/0.log",
    ),
    (
        "k8s/containers/cart-7d9f8b6c5d-x2k4q_shop_cart-9e1630f26f97b1df7d58c0ea052fc707850fe54fecbfb3c3ae1787e87ea1ded8.log",
        "../pods/shop_cart-7d9f8b6c5d-x2k4q_9b2f4c1e-7a3d-4e58-b6c0-2d8e1f5a7c93/cart/1.log",
    ),
    (
        "k8s/containers/coredns-5d78c9869d-abcde_kube-system_coredns-214660deb35a2410c1b0350bc3dd09615518ba8b8f60d585e89385c8baa6a979.log",
        "../pods/kube-system_coredns-5d78c9869d-abcde_4e71d0a8-25c9-4f3b-9e16-b80c5a7d2f41/coredns/0.log",
    ),
];

/// The demo workspace's folder, ingesting it first if this version has
/// not done so yet.
pub fn workspace() -> Result<PathBuf, Error> {
    // The cache folder first; a temporary folder when it cannot be written.
    let mut last = Error::io("no cache folder for the demo workspace");
    for root in [dirs::cache_dir(), Some(std::env::temp_dir())].into_iter().flatten() {
        match workspace_in(&root.join("kqlog").join(format!("demo-{}", env!("CARGO_PKG_VERSION")))) {
            Ok(ws) => return Ok(ws),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn workspace_in(base: &Path) -> Result<PathBuf, Error> {
    let ws = base.join("workspace");
    let done = base.join("ready");
    if done.exists() {
        return Ok(ws);
    }
    let logs = base.join("logs");
    let _ = std::fs::remove_dir_all(base);
    write_samples(&logs)?;
    let inputs: Vec<PathBuf> = ["docker", "k8s", "capture", "events"].iter().map(|d| logs.join(d)).collect();
    let opts = kqlog::ingest::Options { computer: "demo-node".into(), ..Default::default() };
    kqlog::ingest::run(&inputs, &ws, opts, &mut |_| {})?;
    std::fs::write(&done, b"").map_err(|e| Error::io(format!("cannot write `{}`: {e}", done.display())))?;
    Ok(ws)
}

fn write_samples(root: &Path) -> Result<(), Error> {
    let io = |p: &Path, e: std::io::Error| Error::io(format!("cannot write `{}`: {e}", p.display()));
    for (rel, bytes) in FILES {
        let p = root.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| io(&p, e))?;
    }
    #[cfg(unix)]
    for (link, target) in LINKS {
        let p = root.join(link);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        std::os::unix::fs::symlink(target, &p).map_err(|e| io(&p, e))?;
    }
    Ok(())
}
