//! The console's entry point in the browser: render the app into the page.

fn main() {
    yew::Renderer::<sdrs_console::App>::new().render();
}
