//! Removing what an interrupted `upload` created: the Ctrl-C / SIGTERM handler deletes with the
//! same retried delete ([`ImageDeletion`]) as the upload plan's own cleanup, so an interrupted
//! upload leaves nothing queued behind either (unless `--keep`).
//!
//! The handler runs on its own thread (ctrlc's), while the main thread may be in the middle of
//! streaming the data: it deletes by the image id chosen before the create request was sent,
//! so even an image whose create answer never arrived is found.

use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use openstack_proto::glance::Glance;
use openstack_proto::upload_plan::{DeletionStep, ImageDeletion};

use super::error::Cleanup;
use super::transport::Transport;

/// How long the handler keeps trying to delete (Glance may answer 409 while it still writes).
const DELETE_DEADLINE: Duration = Duration::from_secs(20);
/// The exit status after an interrupt: 128 + SIGINT, as shells report it.
const INTERRUPTED: i32 = 130;

/// An image to delete if the process is interrupted now.
struct Pending {
    transport: Transport,
    glance: Glance,
    image_id: String,
    keep: bool,
}

static PENDING: Mutex<Option<Pending>> = Mutex::new(None);

/// Installs the handler (once per process). Without a pending image it just ends the process.
pub fn install() {
    // A second call fails with MultipleHandlers: the first handler stays, which is fine.
    let _ = ctrlc::set_handler(on_signal);
}

/// While the returned guard lives, an interrupt deletes `image_id` (or, with `keep`, names it).
#[must_use = "the image is protected only while the guard lives"]
pub fn protect(transport: &Transport, glance: &Glance, image_id: &str, keep: bool) -> Guard {
    if let Ok(mut slot) = PENDING.lock() {
        *slot = Some(Pending {
            transport: transport.clone(),
            glance: glance.clone(),
            image_id: image_id.to_owned(),
            keep,
        });
    }
    Guard
}

/// Clears the pending image when dropped: from then on the command's own cleanup owns it.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(mut slot) = PENDING.lock() {
            *slot = None;
        }
    }
}

fn on_signal() {
    let pending = PENDING.lock().ok().and_then(|mut slot| slot.take());
    eprintln!();
    match pending {
        None => eprintln!("glance-sig: interrupted before any image was created: none to delete"),
        Some(p) if p.keep => eprintln!(
            "glance-sig: interrupted; image {} was kept (--keep): delete it with `openstack \
             image delete {}`",
            p.image_id, p.image_id
        ),
        Some(p) => match delete(&p.transport, &p.glance, &p.image_id, DELETE_DEADLINE) {
            Cleanup::DeleteFailed { why, .. } => crate::output::render::err_line(&format!(
                "glance-sig: interrupted; deleting image {} failed ({why}): delete it with \
                 `openstack image delete {}`",
                p.image_id, p.image_id
            )),
            _ => eprintln!(
                "glance-sig: interrupted; image {} was deleted: nothing is left behind",
                p.image_id
            ),
        },
    }
    std::process::exit(INTERRUPTED);
}

/// Deletes the image (the signal handler's cleanup); says what happened. Glance may still be
/// busy with a broken upload for a moment (a 409, or a 500 while its database row is locked),
/// so the upload plan's [`ImageDeletion`] tries again, with growing pauses, until `timeout`.
pub fn delete(
    transport: &Transport,
    glance: &Glance,
    image_id: &str,
    timeout: Duration,
) -> Cleanup {
    let (mut deletion, mut request) = ImageDeletion::new(glance, image_id, timeout);
    loop {
        let step = match transport.send(&request) {
            Ok(response) => deletion.answer(&response),
            Err(error) => deletion.not_sent(&error),
        };
        match step {
            DeletionStep::Done(cleanup) => return cleanup,
            DeletionStep::Retry(pause, again) => {
                thread::sleep(pause);
                request = again;
            }
        }
    }
}
