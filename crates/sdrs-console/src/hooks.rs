//! Hooks the pages share: the connection, a load that ends with its page, following a job.

use std::future::Future;

use futures::future::{abortable, AbortHandle};
use yew::prelude::*;

use sdrs_core::wire::Job;

use crate::api::{get, ApiError, Connection};
use crate::ConnectionContext;

/// The connection every page reads (the settings page changes it through the context itself).
#[hook]
pub fn use_connection() -> Connection {
    let connection = use_context::<ConnectionContext>().expect("the app provides the connection");
    (*connection).clone()
}

/// What a page loaded: still loading, the answer, or why it failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Loaded(T),
    Failed(ApiError),
}

/// Loads what `fetch` reads with the connection and `deps`, again whenever either changes; the load is dropped with
/// the page (or when it starts again), so an old answer never lands on a newer page. The page reads the answer in
/// place (`match &*loaded`): a copy of each answer at each render cost the console's module kilobytes.
#[hook]
pub fn use_load<T, D, F, Fut>(deps: D, fetch: F) -> UseStateHandle<Load<T>>
where
    T: Clone + PartialEq + 'static,
    D: Clone + PartialEq + 'static,
    F: FnOnce(Connection, D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    use_load_at(deps, 0, fetch)
}

/// [`use_load`], and again every `every_ms` while the page is open. A refresh keeps the last answer on screen until
/// the next one arrives; new `deps` (another group, say) show `Loading` first.
#[hook]
pub fn use_load_every<T, D, F, Fut>(every_ms: u32, deps: D, fetch: F) -> UseStateHandle<Load<T>>
where
    T: Clone + PartialEq + 'static,
    D: Clone + PartialEq + 'static,
    F: FnOnce(Connection, D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let tick = use_state(|| 0_u32);
    {
        let tick = tick.clone();
        use_effect_with(every_ms, move |every_ms| {
            let interval = gloo_timers::callback::Interval::new(*every_ms, move || tick.set(tick.wrapping_add(1)));
            move || drop(interval)
        });
    }
    use_load_at(deps, *tick, fetch)
}

/// The load of [`use_load`] and [`use_load_every`]: `tick` reads again without showing `Loading`.
#[hook]
fn use_load_at<T, D, F, Fut>(deps: D, tick: u32, fetch: F) -> UseStateHandle<Load<T>>
where
    T: Clone + PartialEq + 'static,
    D: Clone + PartialEq + 'static,
    F: FnOnce(Connection, D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let connection = use_connection();
    let loaded = use_state(|| Load::Loading);
    {
        // Effects run in order: new deps show `Loading` before the load below starts; a tick alone does not.
        let loaded = loaded.clone();
        use_effect_with((connection.clone(), deps.clone()), move |_| loaded.set(Load::Loading));
    }
    {
        let loaded = loaded.clone();
        use_effect_with((connection, deps, tick), move |(connection, deps, _)| {
            let answer = fetch(connection.clone(), deps.clone());
            spawn_until_dropped(async move {
                loaded.set(match answer.await {
                    Ok(value) => Load::Loaded(value),
                    Err(error) => Load::Failed(error),
                });
            })
        });
    }
    loaded
}

/// Spawns `task` and returns the effect cleanup that aborts it, so that a page's load does not outlive the page (or
/// write into the next one) when the operator navigates away or the effect runs again.
pub fn spawn_until_dropped(task: impl Future<Output = ()> + 'static) -> impl FnOnce() {
    let (task, handle): (_, AbortHandle) = abortable(task);
    wasm_bindgen_futures::spawn_local(async move {
        let _ = task.await;
    });
    move || handle.abort()
}

/// A document as last read, or why reading it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Followed<T> {
    pub value: Option<T>,
    pub error: Option<ApiError>,
}

impl<T> Default for Followed<T> {
    fn default() -> Self {
        Followed { value: None, error: None }
    }
}

/// A job as last read, or why reading it stopped.
pub type FollowedJob = Followed<Job>;

/// How often something running is read again.
const POLL_MS: u32 = 1_000;

/// Reads `url` every second until `finished` says the document has ended (or reading it fails for a reason other
/// than the network, which the request helper retries); starts again when `url` or `generation` changes (a page
/// bumps it after it changed the document itself), and stops when the component unmounts.
#[hook]
pub fn use_follow<T>(url: Option<String>, generation: u32, finished: fn(&T) -> bool) -> Followed<T>
where
    T: serde::de::DeserializeOwned + Clone + PartialEq + 'static,
{
    let connection = use_connection();
    let followed = use_state(Followed::<T>::default);
    {
        let followed = followed.clone();
        use_effect_with((url, generation, connection), move |(url, _, connection)| {
            let (url, connection) = (url.clone(), connection.clone());
            spawn_until_dropped(async move {
                let Some(url) = url.filter(|_| connection.is_complete()) else { return };
                let mut last = None;
                loop {
                    match get::<T>(&connection, &url).await {
                        Ok(value) => {
                            let done = finished(&value);
                            last = Some(value);
                            followed.set(Followed { value: last.clone(), error: None });
                            if done {
                                return;
                            }
                        }
                        Err(error) => {
                            // The last state read stays on screen beside the reason reading stopped.
                            followed.set(Followed { value: last, error: Some(error) });
                            return;
                        }
                    }
                    gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                }
            })
        });
    }
    (*followed).clone()
}

/// Follows a job every second until it is finished; stops when `job_id` changes or the component unmounts.
#[hook]
pub fn use_job(job_id: Option<String>) -> FollowedJob {
    let connection = use_connection();
    let url = job_id.map(|id| connection.v1(&format!("/jobs/{id}")));
    use_follow(url, 0, |job: &Job| job.status.is_finished())
}
