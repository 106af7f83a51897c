//! The console's planning module in the browser (`plans/index.html`): render the app with the planning pages.

fn main() {
    yew::Renderer::<sdrs_console::App<sdrs_console::PlanningPages>>::new().render();
}
