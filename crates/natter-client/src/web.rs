//! Browser transports: `fetch` long-polling and `web_sys::WebSocket`, timers from
//! `setTimeout`, the clock from `Date.now()`. No JavaScript Socket.IO client is involved.

use crate::{Event, Handle, Io, Options, driver};
use futures::channel::mpsc;
use natter_protocol::{
    Millis,
    eio::Frame,
    engine::{Input, Transmit, TransportId},
};
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{BinaryType, CloseEvent, MessageEvent, RequestInit, Response, WebSocket};

/// Connect from the page; the driver runs on the page's event loop until the handle closes.
pub fn connect(options: Options) -> (Handle, mpsc::UnboundedReceiver<Event>) {
    let (handle, commands, events_tx, events) = driver::channels();
    let io = WebIo {
        options: options.clone(),
        sockets: HashMap::new(),
    };
    let seed = (js_sys::Math::random() * (u64::MAX as f64)) as u64;
    spawn_local(driver::run(io, options, seed, commands, events_tx));
    (handle, events)
}

/// The page's own origin, e.g. `http://127.0.0.1:3000`.
pub fn page_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

struct WebIo {
    options: Options,
    sockets: HashMap<TransportId, Socket>,
}

/// A WebSocket with the callbacks it holds; dropping it detaches them and closes the socket,
/// so no callback can fire into freed closures.
struct Socket {
    ws: WebSocket,
    _callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

impl Io for WebIo {
    fn now(&self) -> Millis {
        js_sys::Date::now() as Millis
    }

    fn sleep(&self, ms: u64) -> driver::Sleep {
        Box::pin(gloo_timers::future::TimeoutFuture::new(
            ms.min(u32::MAX as u64) as u32,
        ))
    }

    fn perform(&mut self, transmit: Transmit, inputs: &mpsc::UnboundedSender<Input>) {
        let tx = inputs.clone();
        match transmit {
            Transmit::PollGet { id, query } => {
                let url = self.options.endpoint(false, &query);
                spawn_local(async move {
                    let input = match fetch(&url, None).await {
                        Ok(body) => Input::PollResponse { id, body },
                        Err(error) => Input::PollFailed { id, error },
                    };
                    let _ = tx.unbounded_send(input);
                });
            }
            Transmit::PollPost { id, query, body } => {
                let url = self.options.endpoint(false, &query);
                spawn_local(async move {
                    let input = match fetch(&url, Some(&body)).await {
                        Ok(_) => Input::PostDone { id },
                        Err(error) => Input::PostFailed { id, error },
                    };
                    let _ = tx.unbounded_send(input);
                });
            }
            Transmit::WsOpen { id, query } => {
                match open_socket(&self.options.endpoint(true, &query), id, tx) {
                    Ok(socket) => {
                        self.sockets.insert(id, socket);
                    }
                    Err(error) => {
                        let _ = inputs.unbounded_send(Input::WsClosed {
                            id,
                            error: Some(error),
                        });
                    }
                }
            }
            Transmit::WsSend { id, frame } => {
                let Some(socket) = self.sockets.get(&id) else {
                    return;
                };
                let sent = match &frame {
                    Frame::Text(text) => socket.ws.send_with_str(text),
                    Frame::Binary(bytes) => socket.ws.send_with_u8_array(bytes),
                };
                if let Err(e) = sent {
                    let _ = inputs.unbounded_send(Input::WsClosed {
                        id,
                        error: Some(describe(&e)),
                    });
                }
            }
            Transmit::WsClose { id } => {
                self.sockets.remove(&id);
            }
        }
    }
}

fn open_socket(
    url: &str,
    id: TransportId,
    tx: mpsc::UnboundedSender<Input>,
) -> Result<Socket, String> {
    let ws = WebSocket::new(url).map_err(|e| describe(&e))?;
    // Binary frames arrive as ArrayBuffer, as engine.io-client sets it.
    ws.set_binary_type(BinaryType::Arraybuffer);
    let on_open = {
        let tx = tx.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let _ = tx.unbounded_send(Input::WsOpened { id });
        })
    };
    let on_message = {
        let tx = tx.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Ok(event) = event.dyn_into::<MessageEvent>() else {
                return;
            };
            let data = event.data();
            let frame = match data.as_string() {
                Some(text) => Frame::Text(text),
                None => Frame::Binary(js_sys::Uint8Array::new(&data).to_vec()),
            };
            let _ = tx.unbounded_send(Input::WsFrame { id, frame });
        })
    };
    let on_close = {
        let tx = tx.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            // A clean close is the server going away ("transport close"); anything else is an
            // error (blocked, refused, dropped).
            let clean = event.dyn_into::<CloseEvent>().is_ok_and(|c| c.was_clean());
            let error = (!clean).then(|| "websocket closed abnormally".to_owned());
            let _ = tx.unbounded_send(Input::WsClosed { id, error });
        })
    };
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        let _ = tx.unbounded_send(Input::WsClosed {
            id,
            error: Some("websocket error".into()),
        });
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Socket {
        ws,
        _callbacks: vec![on_open, on_message, on_close, on_error],
    })
}

/// GET (no body) or POST `body`; the response text, or why there is none.
async fn fetch(url: &str, body: Option<&str>) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    if let Some(body) = body {
        // A string body goes as text/plain;charset=UTF-8, what engine.io expects.
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| describe(&e))?;
    let response: Response = response.dyn_into().map_err(|e| describe(&e))?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| describe(&e))?)
        .await
        .map_err(|e| describe(&e))?;
    text.as_string()
        .ok_or_else(|| "response body is not text".into())
}

fn describe(value: &JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
