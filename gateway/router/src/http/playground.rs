//! The web playground (`web-playground/`, built into one self-contained HTML file that is
//! committed and embedded here), served to browsers at `/` and `/playground` when
//! `gateway.playground` is on.
use axum::response::{Html, IntoResponse, Response};
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use http::{HeaderMap, HeaderValue, StatusCode};

/// The committed bundle. `web-playground/check-bundle.sh` fails CI when it is not what the
/// sources build.
const PAGE: &str = include_str!("../../../../web-playground/dist/index.html");

/// The page inlines its script, styles and fonts and talks only to its own origin.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
font-src data:; img-src data:; connect-src 'self'; worker-src blob:; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

pub async fn page(headers: HeaderMap) -> Response {
    if !accepts_html(&headers) {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    let mut response = Html(PAGE).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response_headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim() == "text/html")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_browsers_asking_for_html_get_the_page() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_html(&headers));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!accepts_html(&headers));
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        );
        assert!(accepts_html(&headers));
    }

    #[test]
    fn the_embedded_page_is_self_contained() {
        assert!(PAGE.contains("<html"));
        assert!(
            !PAGE.contains("src=\"http"),
            "the page must not load from another origin"
        );
    }
}
