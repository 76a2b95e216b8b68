//! Cross-site WebSocket hijacking defence for `/socket.io/*`.
//!
//! Browsers attach cookies to a cross-site WebSocket handshake and CORS never applies to it, and
//! socketioxide checks no `Origin` itself, so any page on the web could open a Socket.IO session
//! as the visitor. Natter is served from the same origin as its page, so it refuses every
//! browser request whose `Origin` is not this server or an explicitly configured origin.

use std::sync::Arc;

use axum::{
    extract::{OriginalUri, Request, State},
    http::{HeaderMap, HeaderValue, Method, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::error::HttpError;

/// Which origins may talk to the Socket.IO endpoint at `req_path`.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    req_path: Arc<str>,
    allowed: Arc<[String]>,
}

impl OriginPolicy {
    /// `allowed` holds exact origins (`scheme://host[:port]`, lowercase) besides same-origin.
    /// Blank entries are ignored: they would otherwise admit an empty `Origin` header.
    pub fn new(req_path: impl Into<Arc<str>>, allowed: Vec<String>) -> Self {
        let allowed = allowed.into_iter().filter(|origin| !origin.is_empty());
        OriginPolicy {
            req_path: req_path.into(),
            allowed: allowed.collect(),
        }
    }

    /// Whether engineioxide will handle this path. Mirrors its own matching exactly, so no
    /// spelling of the path can reach Socket.IO without passing the check.
    pub fn guards(&self, path: &str) -> bool {
        let req_path = &*self.req_path;
        path.strip_prefix(req_path)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || req_path.ends_with('/'))
    }

    pub fn permits(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let mut origins = headers.get_all(header::ORIGIN).iter();
        let Some(origin) = origins.next() else {
            // Browsers always send Origin on WebSocket handshakes and cross-origin requests;
            // without one this is a non-browser client, which holds no victim's cookies.
            return true;
        };
        if origins.next().is_some() {
            return false;
        }
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        is_same_origin(origin, headers, uri)
            || self
                .allowed
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(origin))
    }
}

/// `Origin` names this very server: `http(s)://` followed by exactly the `Host` the browser
/// connected to (HTTP/2 carries it in the URI authority instead).
fn is_same_origin(origin: &str, headers: &HeaderMap, uri: &Uri) -> bool {
    let host = match headers.get(header::HOST) {
        Some(host) => host.to_str().ok(),
        None => uri.authority().map(|authority| authority.as_str()),
    };
    let Some(host) = host.filter(|host| !host.is_empty()) else {
        return false;
    };
    ["http://", "https://"].iter().any(|scheme| {
        origin
            .strip_prefix(scheme)
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
    })
}

/// Whether a request may change state: anything but a read. Server functions and form posts
/// are POSTs, and a cross-site form post carries the victim's `SameSite=Lax` cookie on a
/// top-level navigation, so these get the same Origin check as Socket.IO (no CSRF).
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Axum middleware: 403 for Socket.IO requests and state-changing requests from foreign
/// origins, pass-through otherwise.
pub async fn check_origin(
    State(policy): State<OriginPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let uri = request.uri();
    let socket_io = policy.guards(uri.path());
    if !socket_io && changes_state(request.method()) && !policy.permits(request.headers(), uri) {
        tracing::warn!(
            origin = ?request.headers().get(header::ORIGIN),
            path = uri.path(),
            "refused cross-origin request"
        );
        return HttpError::ForbiddenOrigin.into_response();
    }
    if socket_io {
        if !policy.permits(request.headers(), uri) {
            tracing::warn!(
                origin = ?request.headers().get(header::ORIGIN),
                host = ?request.headers().get(header::HOST),
                "refused cross-origin Socket.IO request"
            );
            return HttpError::ForbiddenOrigin.into_response();
        }
        own_request_head(&mut request);
    }
    next.run(request).await
}

/// Replaces the header values and URIs with copies of their own.
///
/// hyper parses them as zero-copy slices of the connection's read buffer (8–16 KB), and
/// engineioxide keeps the handshake request's head for the session's whole life, so a few
/// hundred bytes of headers would pin that buffer per connected client: measured 7.4 KB per
/// idle connection (BENCHMARKS.md, "Where Natter's memory per connection goes").
fn own_request_head(request: &mut Request) {
    for value in request.headers_mut().values_mut() {
        // `from_bytes` copies; the header was valid, so it stays valid.
        if let Ok(copy) = HeaderValue::from_bytes(value.as_bytes()) {
            *value = copy;
        }
    }
    if let Some(uri) = owned(request.uri()) {
        *request.uri_mut() = uri;
    }
    // axum's router stores the URI again, for nested routers.
    if let Some(OriginalUri(original)) = request.extensions_mut().get_mut::<OriginalUri>()
        && let Some(uri) = owned(original)
    {
        *original = uri;
    }
}

/// `Uri::try_from(String)` takes the string's own allocation instead of slicing a buffer.
fn owned(uri: &Uri) -> Option<Uri> {
    Uri::try_from(uri.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        if let Some(host) = host {
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        }
        headers
    }

    fn policy() -> OriginPolicy {
        let allowed = vec!["https://chat.example.com".to_owned(), String::new()];
        OriginPolicy::new("/socket.io", allowed)
    }

    #[test]
    fn origin_matrix() {
        let uri: Uri = "/socket.io/?EIO=4&transport=websocket".parse().unwrap();
        let host = Some("127.0.0.1:3000");
        let permits = |origin: Option<&str>| policy().permits(&headers(origin, host), &uri);
        assert!(permits(None));
        assert!(permits(Some("http://127.0.0.1:3000")));
        assert!(permits(Some("https://127.0.0.1:3000")));
        assert!(permits(Some("https://chat.example.com")));
        for refused in [
            "http://evil.example",
            "null",
            "",
            "http://127.0.0.1:3000.evil.com",
            "http://127.0.0.1",
            "http://127.0.0.1:30000",
            "ws://127.0.0.1:3000",
            "http://127.0.0.1:3000/",
            "https://chat.example.com.evil.com",
            "https://evil.chat.example.com",
            "http://chat.example.com",
        ] {
            assert!(!permits(Some(refused)), "{refused:?} was allowed");
        }
    }

    #[test]
    fn no_host_means_no_same_origin() {
        let uri: Uri = "/socket.io/".parse().unwrap();
        let origin = Some("http://127.0.0.1:3000");
        assert!(!policy().permits(&headers(origin, None), &uri));
        let absolute: Uri = "http://127.0.0.1:3000/socket.io/".parse().unwrap();
        assert!(policy().permits(&headers(origin, None), &absolute));
    }

    #[test]
    fn duplicate_origin_headers_are_refused() {
        let uri: Uri = "/socket.io/".parse().unwrap();
        let mut headers = headers(Some("http://127.0.0.1:3000"), Some("127.0.0.1:3000"));
        headers.append(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!policy().permits(&headers, &uri));
    }

    #[test]
    fn owned_head_keeps_every_header_and_the_uri() {
        let mut request = Request::builder()
            .uri("/socket.io/?EIO=4&transport=polling&t=x%20y")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, "a=1")
            .header(header::COOKIE, "b=2")
            .extension(OriginalUri("/socket.io/?EIO=4".parse().unwrap()))
            .body(axum::body::Body::empty())
            .unwrap();
        let before = request.headers().clone();
        own_request_head(&mut request);
        assert_eq!(request.headers(), &before);
        // A copy, not the same bytes: the clone above still shares the originals.
        let host = |headers: &HeaderMap| headers[header::HOST].as_bytes().as_ptr();
        assert_ne!(host(request.headers()), host(&before));
        assert_eq!(
            request.uri().to_string(),
            "/socket.io/?EIO=4&transport=polling&t=x%20y"
        );
        let original = request.extensions().get::<OriginalUri>().unwrap();
        assert_eq!(original.0.to_string(), "/socket.io/?EIO=4");
    }

    #[test]
    fn guarded_paths_match_engineioxide() {
        let policy = policy();
        assert!(policy.guards("/socket.io"));
        assert!(policy.guards("/socket.io/"));
        assert!(policy.guards("/socket.io/anything"));
        assert!(!policy.guards("/socket.io-admin"));
        assert!(!policy.guards("/"));
        assert!(!policy.guards("/pkg/natter.wasm"));
    }
}
