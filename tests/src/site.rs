//! A stand-in web site for import tests (the local "IMSLP"): fixed pages and files on a free
//! loopback port, served from a thread so it outlives any one test's runtime. A path can be
//! told to fail a number of times first, or for good, to act out an outage.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

struct Resource {
    content_type: String,
    body: Vec<u8>,
    /// Answered (in order) before the resource itself; `u16::MAX` repeats the last forever.
    failures: Vec<u16>,
    hits: usize,
}

#[derive(Clone, Default)]
pub struct Site {
    origin: String,
    resources: Arc<Mutex<HashMap<String, Resource>>>,
}

impl Site {
    /// Starts serving on a free loopback port; every unknown path is a 404.
    pub fn start() -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("bind site: {err}"));
        let site = Self {
            origin: format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port()),
            resources: Arc::default(),
        };
        let serving = site.clone();
        thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let site = serving.clone();
                thread::spawn(move || site.answer(stream));
            }
        });
        site
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Serves `body` at `path`.
    pub fn serve(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.resources.lock().unwrap().insert(
            path.to_string(),
            Resource {
                content_type: content_type.to_string(),
                body: body.into(),
                failures: Vec::new(),
                hits: 0,
            },
        );
    }

    /// Makes `path` answer `status` its next `times` requests (`None`: every request).
    pub fn fail(&self, path: &str, status: u16, times: Option<usize>) {
        let mut resources = self.resources.lock().unwrap();
        let resource = resources
            .get_mut(path)
            .unwrap_or_else(|| panic!("{path} is not served"));
        resource.failures = match times {
            Some(times) => vec![status; times],
            None => vec![status, u16::MAX],
        };
    }

    /// Requests `path` has had.
    pub fn hits(&self, path: &str) -> usize {
        self.resources
            .lock()
            .unwrap()
            .get(path)
            .map_or(0, |resource| resource.hits)
    }

    fn answer(&self, mut stream: TcpStream) {
        let mut reader = BufReader::new(&stream);
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        // Skip the headers; requests here have no body.
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
            line.clear();
        }
        let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
        let (status, content_type, body) = {
            let mut resources = self.resources.lock().unwrap();
            match resources.get_mut(&path) {
                None => (404, "text/plain".to_string(), b"not found".to_vec()),
                Some(resource) => {
                    resource.hits += 1;
                    match resource.failures.first().copied() {
                        Some(status) => {
                            if resource.failures.get(1) != Some(&u16::MAX) {
                                resource.failures.remove(0);
                            }
                            (status, "text/plain".to_string(), b"unavailable".to_vec())
                        }
                        None => (200, resource.content_type.clone(), resource.body.clone()),
                    }
                }
            }
        };
        let head = format!(
            "HTTP/1.1 {status} Status\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&body);
    }
}
