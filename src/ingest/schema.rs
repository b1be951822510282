//! The Azure Monitor tables kqlog writes, with their column names and
//! Kusto types (Azure Monitor table reference). Names match
//! case-insensitively when reading exports.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::types::KType;

use KType::{DateTime, Dynamic, Int, Long, Real, String as Str};

/// A table's columns, in order.
pub struct TableDef {
    pub name: &'static str,
    pub columns: &'static [(&'static str, KType)],
}

impl TableDef {
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(self.columns.iter().map(|(n, t)| Field::new(*n, t.arrow(), true)).collect::<Vec<_>>()))
    }

    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| *n == column)
    }

    /// Case-insensitive column lookup (exports lower-case names).
    pub fn find(&self, column: &str) -> Option<usize> {
        self.index(column).or_else(|| self.columns.iter().position(|(n, _)| n.eq_ignore_ascii_case(column)))
    }
}

pub const CONTAINER_LOG: TableDef = TableDef {
    name: "ContainerLog",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("TimeOfCommand", DateTime),
        ("ContainerID", Str),
        ("Image", Str),
        ("ImageTag", Str),
        ("Repository", Str),
        ("Name", Str),
        ("LogEntry", Str),
        ("LogEntrySource", Str),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const CONTAINER_LOG_V2: TableDef = TableDef {
    name: "ContainerLogV2",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("ContainerId", Str),
        ("ContainerName", Str),
        ("PodName", Str),
        ("PodNamespace", Str),
        ("LogMessage", Dynamic),
        ("LogSource", Str),
        ("LogLevel", Str),
        ("KubernetesMetadata", Dynamic),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const CONTAINER_INVENTORY: TableDef = TableDef {
    name: "ContainerInventory",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("ContainerID", Str),
        ("Name", Str),
        ("ContainerHostname", Str),
        ("Image", Str),
        ("ImageTag", Str),
        ("Repository", Str),
        ("ImageID", Str),
        ("ContainerState", Str),
        ("ExitCode", Int),
        ("CreatedTime", DateTime),
        ("StartedTime", DateTime),
        ("FinishedTime", DateTime),
        ("EnvironmentVar", Str),
        ("Command", Str),
        ("Ports", Str),
        ("Links", Str),
        ("ComposeGroup", Str),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const CONTAINER_IMAGE_INVENTORY: TableDef = TableDef {
    name: "ContainerImageInventory",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("Image", Str),
        ("ImageTag", Str),
        ("Repository", Str),
        ("ImageID", Str),
        ("ImageSize", Str),
        ("VirtualSize", Str),
        ("Running", Int),
        ("Paused", Int),
        ("Stopped", Int),
        ("Failed", Int),
        ("TotalContainer", Long),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const CONTAINER_SERVICE_LOG: TableDef = TableDef {
    name: "ContainerServiceLog",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("TimeOfCommand", DateTime),
        ("Command", Str),
        ("ContainerID", Str),
        ("Image", Str),
        ("ImageTag", Str),
        ("Repository", Str),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const KUBE_POD_INVENTORY: TableDef = TableDef {
    name: "KubePodInventory",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("ClusterId", Str),
        ("ClusterName", Str),
        ("Name", Str),
        ("Namespace", Str),
        ("PodUid", Str),
        ("PodIp", Str),
        ("PodLabel", Str),
        ("PodStatus", Str),
        ("PodCreationTimeStamp", DateTime),
        ("PodStartTime", DateTime),
        ("PodRestartCount", Int),
        ("ControllerKind", Str),
        ("ControllerName", Str),
        ("ServiceName", Str),
        ("ContainerID", Str),
        ("ContainerName", Str),
        ("ContainerStatus", Str),
        ("ContainerLastStatus", Str),
        ("ContainerStatusReason", Str),
        ("ContainerCreationTimeStamp", DateTime),
        ("ContainerStartTime", DateTime),
        ("ContainerRestartCount", Int),
        ("InstanceName", Str),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const KUBE_EVENTS: TableDef = TableDef {
    name: "KubeEvents",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("ClusterId", Str),
        ("ClusterName", Str),
        ("Name", Str),
        ("Namespace", Str),
        ("ObjectKind", Str),
        ("Reason", Str),
        ("Message", Str),
        ("KubeEventType", Str),
        ("SourceComponent", Str),
        ("Count", Real),
        ("FirstSeen", DateTime),
        ("LastSeen", DateTime),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const EVENT: TableDef = TableDef {
    name: "Event",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Source", Str),
        ("EventLog", Str),
        ("Computer", Str),
        ("EventLevel", Int),
        ("EventLevelName", Str),
        ("ParameterXml", Str),
        ("EventData", Str),
        ("EventID", Int),
        ("RenderedDescription", Str),
        ("AzureDeploymentID", Str),
        ("Role", Str),
        ("EventCategory", Int),
        ("UserName", Str),
        ("Message", Str),
        ("ManagementGroupName", Str),
        ("ContainerID", Str),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

pub const W3C_IIS_LOG: TableDef = TableDef {
    name: "W3CIISLog",
    columns: &[
        ("TenantId", Str),
        ("SourceSystem", Str),
        ("TimeGenerated", DateTime),
        ("Computer", Str),
        ("sSiteName", Str),
        ("sComputerName", Str),
        ("sIP", Str),
        ("csMethod", Str),
        ("csUriStem", Str),
        ("csUriQuery", Str),
        ("sPort", Int),
        ("csUserName", Str),
        ("cIP", Str),
        ("csUserAgent", Str),
        ("csCookie", Str),
        ("csReferer", Str),
        ("csHost", Str),
        ("csVersion", Str),
        ("scStatus", Str),
        ("scSubStatus", Str),
        ("scWin32Status", Str),
        ("scBytes", Long),
        ("csBytes", Long),
        ("TimeTaken", Long),
        ("ContainerID", Str),
        ("Type", Str),
        ("_ResourceId", Str),
    ],
};

/// Every table kqlog knows the schema of.
pub const KNOWN: &[&TableDef] = &[
    &CONTAINER_LOG,
    &CONTAINER_LOG_V2,
    &CONTAINER_INVENTORY,
    &CONTAINER_IMAGE_INVENTORY,
    &CONTAINER_SERVICE_LOG,
    &KUBE_POD_INVENTORY,
    &KUBE_EVENTS,
    &EVENT,
    &W3C_IIS_LOG,
];

/// A known table by name, ignoring case (`containerlog`, `am-containerlog`).
pub fn known(name: &str) -> Option<&'static TableDef> {
    let n = name.trim().trim_start_matches("am-");
    KNOWN.iter().copied().find(|t| t.name.eq_ignore_ascii_case(n))
}
