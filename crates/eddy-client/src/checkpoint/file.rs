//! Checkpoints in a JSON file, rewritten whole (to a temporary file, then renamed) on every
//! save, so a crash leaves the old file or the new one, never half of one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::{Checkpoint, CheckpointStore};
use crate::error::{Error, Result};

/// The file's shape: `{"version": 1, "streams": {"<arn>": {"<shard id>": "<seq>|SHARD_END"}}}`.
#[derive(Serialize, Deserialize, Default)]
struct FileContents {
    version: u32,
    streams: BTreeMap<String, BTreeMap<String, String>>,
}

const VERSION: u32 = 1;

/// Checkpoints of one worker, kept in a file.
#[derive(Debug)]
pub struct FileCheckpointStore {
    path: PathBuf,
    streams: Mutex<BTreeMap<String, BTreeMap<String, String>>>,
}

impl FileCheckpointStore {
    /// Opens the file at `path`, or starts empty if there is none.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when the file cannot be read or is not a checkpoint file.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let streams = match tokio::fs::read(&path).await {
            Ok(bytes) => parse(&bytes)
                .map_err(|why| Error::Checkpoint(format!("{}: {why}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(Error::Checkpoint(format!("{}: {e}", path.display()))),
        };
        Ok(Self {
            path,
            streams: Mutex::new(streams),
        })
    }
}

fn parse(bytes: &[u8]) -> std::result::Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let contents: FileContents =
        serde_json::from_slice(bytes).map_err(|e| format!("not a checkpoint file ({e})"))?;
    if contents.version != VERSION {
        return Err(format!(
            "checkpoint file version {} is not {VERSION}",
            contents.version
        ));
    }
    for shards in contents.streams.values() {
        if let Some((shard, bad)) = shards.iter().find(|(_, c)| Checkpoint::parse(c).is_none()) {
            return Err(format!("shard {shard} has an invalid checkpoint {bad:?}"));
        }
    }
    Ok(contents.streams)
}

#[async_trait]
impl CheckpointStore for FileCheckpointStore {
    async fn get(&self, stream_arn: &str, shard_id: &str) -> Result<Option<Checkpoint>> {
        let streams = self.streams.lock().await;
        Ok(streams
            .get(stream_arn)
            .and_then(|s| s.get(shard_id))
            .and_then(|c| Checkpoint::parse(c)))
    }

    async fn put(
        &self,
        stream_arn: &str,
        shard_id: &str,
        _owner: &str,
        checkpoint: &Checkpoint,
    ) -> Result<()> {
        let mut streams = self.streams.lock().await;
        streams
            .entry(stream_arn.to_owned())
            .or_default()
            .insert(shard_id.to_owned(), checkpoint.as_str().to_owned());
        let contents = FileContents {
            version: VERSION,
            streams: streams.clone(),
        };
        let bytes =
            serde_json::to_vec_pretty(&contents).map_err(|e| Error::Checkpoint(e.to_string()))?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let fail = |e: std::io::Error| Error::Checkpoint(format!("{}: {e}", self.path.display()));
        let mut file = tokio::fs::File::create(&tmp).await.map_err(fail)?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &bytes)
            .await
            .map_err(fail)?;
        // Synced before the rename, or a power loss could leave the new name on empty data.
        file.sync_all().await.map_err(fail)?;
        tokio::fs::rename(&tmp, &self.path).await.map_err(fail)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn saved_checkpoints_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cp.json");
        let store = FileCheckpointStore::open(&path).await.expect("open");
        store
            .put("arn", "shard-1", "me", &Checkpoint::Sequence("42".into()))
            .await
            .expect("put");
        store
            .put("arn", "shard-0", "me", &Checkpoint::ShardEnd)
            .await
            .expect("put");
        let again = FileCheckpointStore::open(&path).await.expect("reopen");
        assert_eq!(
            again.get("arn", "shard-1").await.expect("get"),
            Some(Checkpoint::Sequence("42".into()))
        );
        assert_eq!(
            again.get("arn", "shard-0").await.expect("get"),
            Some(Checkpoint::ShardEnd)
        );
        assert_eq!(again.get("arn", "shard-2").await.expect("get"), None);
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_checkpoint_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cp.json");
        for bad in [
            &b"not json"[..],
            br#"{"version": 2, "streams": {}}"#,
            br#"{"version": 1, "streams": {"a": {"s": "x1"}}}"#,
        ] {
            std::fs::write(&path, bad).expect("write");
            let err = FileCheckpointStore::open(&path).await.expect_err("refused");
            assert!(matches!(err, Error::Checkpoint(_)), "{err}");
        }
    }
}
