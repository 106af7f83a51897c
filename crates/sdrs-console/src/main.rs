//! The console's incident module in the browser (`index.html`): render the app with the incident pages.

fn main() {
    yew::Renderer::<sdrs_console::App<sdrs_console::IncidentPages>>::new().render();
}
