//! Affianca in the browser: a Leptos client-side-rendered app over the REST API.

mod api;
mod app;
mod components;
mod pages;
mod session;
mod util;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
