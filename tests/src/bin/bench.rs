//! `cargo xtask bench`: measures the sync engine and the scores worker under PDF processing
//! against a fresh local stack and writes the figures into docs/PERFORMANCE.md. Figures, not
//! assertions: machines are noisy. `bench scores` (or `bench sync`) runs one part only.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use mirubato_blackbox::pdfs::{LARGE_SCAN_PAGES, large_scan};
use mirubato_blackbox::session::{Session, sign_in, unique_email};
use mirubato_blackbox::{Stack, Worker, log_line, root, spawn_stack};
use mirubato_core::scores::engrave::engrave;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

/// Repetitions of each measurement; the median is reported.
const RUNS: usize = 5;

fn entry(id: &str, n: usize) -> Value {
    json!({
        "id": id, "timestamp": "2026-03-01T09:00:00.000Z", "duration": 30 + (n % 60), "type": "practice",
        "instrument": "piano", "pieces": [{"title": "Étude Op. 10 No. 3", "composer": "Chopin"}],
        "techniques": ["legato", "voicing"], "mood": "satisfied", "notes": format!("session {n}: slow practice, hands separately"),
        "tags": ["etudes"], "goalIds": [], "createdAt": "2026-03-01T09:00:00.000Z",
        "updatedAt": format!("2026-03-01T10:{:02}:{:02}.{:03}Z", (n / 60_000) % 60, (n / 1000) % 60, n % 1000),
    })
}

async fn push(api: &str, session: &Session, entries: Vec<Value>) -> Duration {
    let started = Instant::now();
    let response = session
        .post(format!("{api}/api/sync/push"))
        .header("X-Device-ID", "dev_bench")
        .json(&json!({"changes": {"entries": entries}}))
        .send()
        .await
        .expect("push");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "push failed: {status} {body}");
    started.elapsed()
}

/// Pulls everything after `since`, page by page; returns the time and the documents seen.
async fn pull_all(api: &str, session: &Session, since: Value) -> (Duration, usize, Value) {
    let started = Instant::now();
    let mut since = since;
    let mut seen = 0;
    loop {
        let page: Value = session
            .post(format!("{api}/api/sync/pull"))
            .json(&json!({"since": since}))
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("pull JSON");
        seen += page["entries"].as_array().map_or(0, Vec::len);
        since = page["syncToken"].clone();
        if page["hasMore"] != true {
            break;
        }
    }
    (started.elapsed(), seen, since)
}

fn median(samples: Vec<Duration>) -> f64 {
    percentile(samples, 50)
}

/// The `p`th percentile, in milliseconds.
fn percentile(mut samples: Vec<Duration>, p: usize) -> f64 {
    samples.sort();
    let index = ((samples.len() * p).div_ceil(100)).clamp(1, samples.len()) - 1;
    samples[index].as_secs_f64() * 1000.0
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

/// A socket whose frames a task forwards, stamped with their arrival time.
async fn socket(
    sync_port: u16,
    session: &Session,
    device: &str,
) -> (Sink, tokio::sync::mpsc::UnboundedReceiver<(Instant, Value)>) {
    let url = format!(
        "ws://127.0.0.1:{sync_port}/sync/ws?userId={}&token={}&deviceId={device}",
        session.user_id(),
        session.access_token
    );
    let (stream, _) = connect_async(url).await.expect("connect");
    let (sink, mut frames) = stream.split();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(message)) = frames.next().await {
            if let Message::Text(text) = message
                && let Ok(frame) = serde_json::from_str::<Value>(&text)
                && tx.send((Instant::now(), frame)).is_err()
            {
                break;
            }
        }
    });
    (sink, rx)
}

async fn next_of(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(Instant, Value)>,
    kind: &str,
) -> (Instant, Value) {
    loop {
        let (at, frame) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("frame within 60 s")
            .expect("socket open");
        if frame["type"] == kind {
            return (at, frame);
        }
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .next()
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".into(),
            |kb| format!("{} GiB", kb / 1024 / 1024),
        );
    format!("{cores} cores ({cpu}), {memory} memory")
}

/// Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, or appends it.
fn write_section(name: &str, body: &str) {
    let path = root().join("docs/PERFORMANCE.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Performance\n\nFigures from `cargo xtask bench` against the local stack (`wrangler dev`, loopback). \
         They compare like with like on one machine; `wrangler dev`'s Node proxy bounds throughput, so they \
         say little about production latency. Medians of repeated runs.\n"
            .into()
    });
    let open = format!("<!-- bench:{name} -->");
    let close = format!("<!-- /bench:{name} -->");
    let section = format!("{open}\n{body}{close}");
    let updated = match (text.find(&open), text.find(&close)) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{section}{}", &text[..start], &text[end + close.len()..])
        }
        _ => format!("{}\n{section}\n", text.trim_end()),
    };
    std::fs::write(&path, updated).expect("write docs/PERFORMANCE.md");
}

#[tokio::main]
async fn main() {
    let only = std::env::args().nth(1);
    println!("booting a fresh local stack…");
    let stack = spawn_stack();
    if only.as_deref() != Some("scores") {
        sync(&stack).await;
    }
    if only.as_deref() != Some("sync") {
        scores_under_processing(&stack).await;
    }
    println!("written to docs/PERFORMANCE.md");
}

/// Imports `bytes` as `session` (multipart); returns the score id.
async fn import_pdf(scores: &str, session: &Session, bytes: Vec<u8>, name: &str) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let response = session
        .post(format!("{scores}/api/import/pdf"))
        .multipart(form)
        .send()
        .await
        .expect("import");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(status.as_u16(), 201, "import failed: {body}");
    body["data"]["id"].as_str().expect("an id").to_string()
}

async fn processing_status(scores: &str, session: &Session, id: &str) -> String {
    let body: Value = session
        .get(format!("{scores}/api/import/{id}"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("status JSON");
    body["data"]["processingStatus"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Latency of one `GET /api/scores/{id}`.
async fn timed_get(scores: &str, session: &Session, id: &str) -> Duration {
    let started = Instant::now();
    let response = session
        .get(format!("{scores}/api/scores/{id}"))
        .send()
        .await
        .expect("get score");
    assert!(response.status().is_success(), "{}", response.status());
    let _ = response.bytes().await;
    started.elapsed()
}

/// `GET /api/scores/{id}` latency with the worker idle, and while it processes a 100-page
/// 300-dpi scan (one request at a time, 10 ms apart); and the scan's processing time.
async fn scores_under_processing(stack: &Stack) {
    const SCANS: usize = 3;
    let scores = stack.url(Worker::Scores);
    let session = sign_in(stack, &unique_email("bench-scores")).await;
    let small = import_pdf(
        &scores,
        &session,
        engrave("Minuet in G", "Christian Petzold", 2),
        "minuet.pdf",
    )
    .await;
    while !matches!(
        processing_status(&scores, &session, &small).await.as_str(),
        "completed" | "failed"
    ) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let scan = large_scan();
    let scan_mb = scan.len() as f64 / 1_048_576.0;

    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(timed_get(&scores, &session, &small).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let mut busy = Vec::new();
    let mut processing_times = Vec::new();
    let mut worker_times = Vec::new();
    let mut memory = 0u64;
    for run in 0..SCANS {
        let id = import_pdf(&scores, &session, scan.to_vec(), &format!("scan_{run}.pdf")).await;
        let started = Instant::now();
        let (done_tx, mut done_rx) = tokio::sync::oneshot::channel();
        let poller = {
            let (scores, session, id) = (scores.clone(), session.clone(), id.clone());
            tokio::spawn(async move {
                loop {
                    let status = processing_status(&scores, &session, &id).await;
                    if status == "completed" || status == "failed" {
                        let _ = done_tx.send((status, started.elapsed()));
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        };
        let (status, elapsed) = loop {
            busy.push(timed_get(&scores, &session, &small).await);
            if let Ok(done) = done_rx.try_recv() {
                break done;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let _ = poller.await;
        assert_eq!(status, "completed", "the scan was not processed");
        processing_times.push(elapsed);
        let line = log_line(stack, Worker::Scores, &["pdf-processed", &id]).await;
        worker_times.push(Duration::from_millis(
            line["durationMs"].as_f64().unwrap_or_default() as u64,
        ));
        memory = memory.max(line["wasmMemoryBytes"].as_u64().unwrap_or_default());
    }

    let (idle_p50, idle_p99) = (percentile(idle.clone(), 50), percentile(idle.clone(), 99));
    let (busy_p50, busy_p99) = (percentile(busy.clone(), 50), percentile(busy.clone(), 99));
    let busy_max = percentile(busy.clone(), 100);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "## Scores while a large scan is processed
"
    );
    let _ = writeln!(
        body,
        "Measured {} on {}. A {scan_mb:.0} MB, {LARGE_SCAN_PAGES}-page, 300-dpi scan (generated: \
         staves and note heads as grey-scale JPEG pages) imported {SCANS} times; meanwhile \
         `GET /api/scores/{{id}}` of another score, one request at a time.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine()
    );
    let _ = writeln!(
        body,
        "| `GET /api/scores/{{id}}` | requests | p50 | p99 | max |"
    );
    let _ = writeln!(body, "|---|---|---|---|---|");
    let _ = writeln!(
        body,
        "| idle | {} | {idle_p50:.1} ms | {idle_p99:.1} ms | {:.1} ms |",
        idle.len(),
        percentile(idle, 100)
    );
    let _ = writeln!(
        body,
        "| while the scan is processed | {} | {busy_p50:.1} ms | {busy_p99:.1} ms | {busy_max:.1} ms |",
        busy.len()
    );
    let _ = writeln!(
        body,
        "\np99 while processing is {:.2}× the idle p99. Processing the scan (import answered → \
         `completed`, polled every 250 ms) takes {:.1} s median ({:.1} s inside the worker, \
         from its `pdf-processed` log line); the isolate's WASM memory peaked at {} MB.\n",
        busy_p99 / idle_p99,
        median(processing_times) / 1000.0,
        median(worker_times) / 1000.0,
        memory / 1_048_576
    );
    let _ = writeln!(
        body,
        "The consumer shares the isolate with the routes and hands the event loop a turn \
         between steps (every 2 MB read from R2, before each page drawn; see \
         docs/ARCHITECTURE.md); a request that arrives during a step waits for it, so the \
         tail is the longest step: drawing the 400-px thumbnail of one 300-dpi page.\n"
    );
    print!("{body}");
    write_section("scores-processing", &body);
}

async fn sync(stack: &Stack) {
    let api = stack.url(Worker::Api);

    // Push of 1,000 entries in one request (a fresh user each run, so each push inserts).
    let mut push_times = Vec::new();
    for run in 0..RUNS {
        let session = sign_in(stack, &unique_email("bench-push")).await;
        let entries = (0..1000)
            .map(|n| entry(&format!("p{run}-{n}"), n))
            .collect();
        push_times.push(push(&api, &session, entries).await);
    }

    // One user with 10,000 entries.
    let session = sign_in(stack, &unique_email("bench-pull")).await;
    for batch in 0..10 {
        let entries = (0..1000)
            .map(|n| entry(&format!("e{batch}-{n}"), batch * 1000 + n))
            .collect();
        push(&api, &session, entries).await;
    }
    let mut full_times = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..RUNS {
        let (elapsed, seen, last) = pull_all(&api, &session, Value::Null).await;
        assert_eq!(seen, 10_000, "full pull returned {seen} entries");
        full_times.push(elapsed);
        cursor = last;
    }

    // Delta pull of 10 changes among 10,000.
    let mut delta_times = Vec::new();
    for run in 0..RUNS {
        let changes = (0..10)
            .map(|n| entry(&format!("e{run}-{n}"), 20_000 + run * 10 + n))
            .collect();
        push(&api, &session, changes).await;
        let (elapsed, seen, last) = pull_all(&api, &session, cursor.clone()).await;
        assert_eq!(seen, 10, "delta pull returned {seen} entries");
        delta_times.push(elapsed);
        cursor = last;
    }

    // Catch-up of 10,000 entries over the socket.
    let sync_port = stack.port(Worker::Sync);
    let mut catch_up_times = Vec::new();
    for run in 0..RUNS {
        let (mut sink, mut rx) = socket(sync_port, &session, &format!("dev_catchup{run}")).await;
        next_of(&mut rx, "WELCOME").await;
        let started = Instant::now();
        sink.send(Message::Text(
            json!({"type": "SYNC_REQUEST", "lastSeq": 0})
                .to_string()
                .into(),
        ))
        .await
        .expect("send");
        let (done, frame) = next_of(&mut rx, "SYNC_RESPONSE").await;
        assert!(frame["lastSeq"].as_i64().unwrap_or(0) >= 10_000, "{frame}");
        catch_up_times.push(done - started);
        let _ = sink.close().await;
    }

    // Fan-out: one device's mutation reaching nine others.
    let fan_session = sign_in(stack, &unique_email("bench-fanout")).await;
    let mut sockets = Vec::new();
    for d in 0..10 {
        let (sink, mut rx) = socket(sync_port, &fan_session, &format!("dev_fan{d}")).await;
        next_of(&mut rx, "WELCOME").await;
        sockets.push((sink, rx));
    }
    let mut fan_out = Vec::new();
    let mut acks = Vec::new();
    for n in 0..100 {
        let started = Instant::now();
        let frame = json!({"type": "ENTRY_UPDATED", "entry": entry(&format!("f{n}"), n)});
        sockets[0]
            .0
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send");
        let (acked, _) = next_of(&mut sockets[0].1, "SYNC_RESPONSE").await;
        acks.push(acked - started);
        for (_, rx) in sockets.iter_mut().skip(1) {
            let (arrived, _) = next_of(rx, "ENTRY_UPDATED").await;
            fan_out.push(arrived - started);
        }
    }

    let (push_ms, full_ms, delta_ms) =
        (median(push_times), median(full_times), median(delta_times));
    let mut body = String::new();
    let _ = writeln!(body, "## Sync over REST\n");
    let _ = writeln!(
        body,
        "Measured {} on {}; {RUNS} runs each.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine()
    );
    let _ = writeln!(body, "| operation | median | per document |");
    let _ = writeln!(body, "|---|---|---|");
    let _ = writeln!(
        body,
        "| push of 1,000 entries in one request | {push_ms:.0} ms | {:.2} ms |",
        push_ms / 1000.0
    );
    let _ = writeln!(
        body,
        "| full pull of 10,000 entries (10 pages) | {full_ms:.0} ms | {:.3} ms |",
        full_ms / 10_000.0
    );
    let _ = writeln!(
        body,
        "| delta pull of 10 changes among 10,000 | {delta_ms:.1} ms | {:.2} ms |",
        delta_ms / 10.0
    );
    let _ = writeln!(
        body,
        "\nA delta pull costs {:.1}% of a full pull: it reads only the rows after the cursor (index `(user_id, seq)`).\n",
        delta_ms / full_ms * 100.0
    );
    print!("{body}");
    write_section("sync-rest", &body);

    let mut socket_body = String::new();
    let _ = writeln!(socket_body, "## Sync over the socket\n");
    let _ = writeln!(
        socket_body,
        "Measured {} on {}.\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        machine()
    );
    let _ = writeln!(socket_body, "| operation | p50 | p99 |");
    let _ = writeln!(socket_body, "|---|---|---|");
    let _ = writeln!(
        socket_body,
        "| fan-out: a mutation from one device reaching each of 9 others (900 deliveries) | {:.1} ms | {:.1} ms |",
        percentile(fan_out.clone(), 50),
        percentile(fan_out, 99)
    );
    let _ = writeln!(
        socket_body,
        "| acknowledgement to the sender (`SYNC_RESPONSE`, after the D1 write; 100 mutations) | {:.1} ms | {:.1} ms |",
        percentile(acks.clone(), 50),
        percentile(acks, 99)
    );
    let _ = writeln!(
        socket_body,
        "| catch-up of 10,000 entries from seq 0 (`SYNC_REQUEST` to `SYNC_RESPONSE`, {RUNS} runs) | {:.0} ms | — |",
        median(catch_up_times)
    );
    let _ = writeln!(
        socket_body,
        "\nA broadcast leaves the coordinator only after the api has stored the change, so fan-out includes the D1 write and is a little above the acknowledgement.\n"
    );
    print!("{socket_body}");
    write_section("sync-socket", &socket_body);
}
