//! Kubernetes node logs: `/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log`
//! and the `/var/log/containers/<pod>_<ns>_<container>-<id>.log` links to
//! them. Pod, namespace, container name and id come from the paths; each
//! file is CRI or Docker JSON (decided from its first line).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::ingest::rows::Value;
use crate::ingest::schema::{CONTAINER_INVENTORY, KUBE_POD_INVENTORY};
use crate::ingest::sink::{Container, Sink};
use crate::ingest::{cri, docker, source};

/// What a pod log path says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodPath {
    pub namespace: String,
    pub pod: String,
    pub uid: String,
    pub container: String,
    pub restart: u32,
    pub container_id: String,
}

/// `…/pods/<ns>_<pod>_<uid>/<container>/<n>.log`
pub fn parse_pod_path(p: &Path) -> Option<PodPath> {
    let restart = p.file_stem()?.to_str()?.parse::<u32>().ok()?;
    let container = p.parent()?.file_name()?.to_str()?.to_string();
    let pod_dir = p.parent()?.parent()?.file_name()?.to_str()?;
    let mut parts = pod_dir.splitn(3, '_');
    let (ns, pod, uid) = (parts.next()?, parts.next()?, parts.next()?);
    Some(PodPath {
        namespace: ns.into(),
        pod: pod.into(),
        uid: uid.into(),
        container,
        restart,
        container_id: String::new(),
    })
}

/// `…/containers/<pod>_<ns>_<container>-<64 hex id>.log`
pub fn parse_container_link(p: &Path) -> Option<PodPath> {
    let name = p.file_name()?.to_str()?.strip_suffix(".log")?;
    let (rest, id) = name.rsplit_once('-')?;
    if id.len() != 64 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut parts = rest.splitn(3, '_');
    let (pod, ns, container) = (parts.next()?, parts.next()?, parts.next()?);
    Some(PodPath {
        namespace: ns.into(),
        pod: pod.into(),
        uid: String::new(),
        container: container.into(),
        restart: 0,
        container_id: id.into(),
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && !p.is_symlink() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "log") || p.to_string_lossy().contains(".log.") {
            out.push(p);
        }
    }
}

/// True for a folder laid out like `/var/log` (or `/var/log/pods`).
pub fn is_pods_root(dir: &Path) -> bool {
    if dir.join("pods").is_dir() || dir.file_name().is_some_and(|n| n == "pods") {
        return true;
    }
    dir.file_name().is_some_and(|n| n == "containers")
        && std::fs::read_dir(dir)
            .map(|rd| rd.flatten().any(|e| parse_container_link(&e.path()).is_some()))
            .unwrap_or(false)
}

struct PodContainer {
    path: PodPath,
    rows: u64,
    last_time: Option<i64>,
}

/// Ingests a node's pod logs; each physical file is read once even when
/// both `pods/` and `containers/` reach it.
pub fn ingest_root(sink: &mut Sink, root: &Path) -> Result<()> {
    let mut files = Vec::new();
    walk(root, &mut files);
    // Container ids come from the `containers/` link names.
    let mut ids: BTreeMap<PathBuf, String> = BTreeMap::new();
    for f in &files {
        if let Some(link) = parse_container_link(f)
            && let Ok(target) = f.canonicalize()
        {
            ids.insert(target, link.container_id);
        }
    }
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut groups: BTreeMap<(String, String, String), PodContainer> = BTreeMap::new();
    for f in files {
        let canonical = f.canonicalize().unwrap_or_else(|_| f.clone());
        if !seen.insert(canonical.clone()) {
            continue;
        }
        // A `containers/` link names the pod file it points to: read the
        // pod path from the target (it has the uid and restart count).
        let mut meta =
            match parse_pod_path(&canonical).or_else(|| parse_pod_path(&f)).or_else(|| parse_container_link(&f)) {
                Some(m) => m,
                None => continue,
            };
        if meta.container_id.is_empty() {
            meta.container_id = ids.get(&canonical).cloned().unwrap_or_default();
        }
        let container = Container {
            id: meta.container_id.as_str().into(),
            log_name: format!("{}/{}", meta.uid, meta.container).into(),
            name: meta.container.as_str().into(),
            pod_name: meta.pod.as_str().into(),
            pod_namespace: meta.namespace.as_str().into(),
            pod_uid: meta.uid.as_str().into(),
            kubernetes: Some(
                serde_json::json!({ "podUid": meta.uid, "podName": meta.pod, "podNamespace": meta.namespace })
                    .to_string()
                    .into(),
            ),
            ..Default::default()
        };
        let before = sink.stats.rows_in_flight();
        let last = read_file(sink, &f, &container)?;
        let added = sink.stats.rows_in_flight() - before;
        let key = (meta.namespace.clone(), meta.pod.clone(), meta.container.clone());
        let g = groups.entry(key).or_insert(PodContainer { path: meta.clone(), rows: 0, last_time: None });
        g.rows += added;
        if meta.restart >= g.path.restart {
            let id = if meta.container_id.is_empty() { g.path.container_id.clone() } else { meta.container_id.clone() };
            g.path = PodPath { container_id: id, ..meta.clone() };
        }
        g.last_time = g.last_time.max(last);
    }
    for g in groups.values().filter(|g| g.rows > 0) {
        inventory_rows(sink, g)?;
    }
    Ok(())
}

/// Reads one pod log file, CRI or Docker JSON; returns the newest time seen.
fn read_file(sink: &mut Sink, path: &Path, c: &Container) -> Result<Option<i64>> {
    let Some(mut r) = source::begin(sink, path)? else { return Ok(None) };
    // The format shows in the first line: read the file's head, not all of it.
    let first = std::fs::File::open(path).ok().and_then(|f| {
        use std::io::Read;
        let mut head = Vec::new();
        f.take(64 * 1024).read_to_end(&mut head).ok()?;
        let text = String::from_utf8_lossy(&head).to_string();
        text.lines().find(|l| !l.trim().is_empty()).map(str::to_string)
    });
    let before = sink.latest_time;
    sink.latest_time = None;
    if first.as_deref().is_some_and(|l| l.trim_start().starts_with('{')) {
        docker::read_json_lines(sink, &mut r, c)?;
    } else {
        cri::read_lines(sink, &mut r, c)?;
    }
    let last = sink.latest_time;
    sink.latest_time = before.max(last);
    Ok(last)
}

fn inventory_rows(sink: &mut Sink, g: &PodContainer) -> Result<()> {
    let computer = sink.opts.computer.clone();
    let p = &g.path;
    let tv = g.last_time.map_or(Value::Null, Value::Time);
    let def = &KUBE_POD_INVENTORY;
    let ix = |n: &str| def.index(n).unwrap_or(usize::MAX);
    let t = sink.table(def);
    t.set(ix("SourceSystem"), Value::Str("Containers"));
    t.set(ix("TimeGenerated"), tv);
    t.set(ix("Computer"), Value::Str(&computer));
    t.set(ix("Name"), Value::Str(&p.pod));
    t.set(ix("Namespace"), Value::Str(&p.namespace));
    t.set(ix("PodUid"), Value::Str(&p.uid));
    t.set(ix("PodRestartCount"), Value::Long(p.restart.into()));
    t.set(ix("ContainerID"), Value::Str(&p.container_id));
    t.set(ix("ContainerName"), Value::Str(&format!("{}/{}", p.uid, p.container)));
    t.set(ix("ContainerRestartCount"), Value::Long(p.restart.into()));
    t.set(ix("Type"), Value::Str("KubePodInventory"));
    sink.end_row(def.name)?;

    let def = &CONTAINER_INVENTORY;
    let ix = |n: &str| def.index(n).unwrap_or(usize::MAX);
    let name = format!("k8s_{}_{}_{}_{}_{}", p.container, p.pod, p.namespace, p.container_id, p.restart);
    let t = sink.table(def);
    t.set(ix("SourceSystem"), Value::Str("Containers"));
    t.set(ix("TimeGenerated"), tv);
    t.set(ix("Computer"), Value::Str(&computer));
    t.set(ix("ContainerID"), Value::Str(&p.container_id));
    t.set(ix("Name"), Value::Str(&name));
    t.set(ix("ContainerHostname"), Value::Str(&p.pod));
    t.set(ix("Type"), Value::Str("ContainerInventory"));
    sink.end_row(def.name)
}
