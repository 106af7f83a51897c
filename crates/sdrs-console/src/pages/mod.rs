//! One module per route.

pub mod activity;
pub mod data;
pub mod group;
pub mod groups;
pub mod operation;
pub mod overview;
pub mod plans;
pub mod rules;
pub mod settings;
pub mod webhooks;

/// The value of the input an event came from.
pub fn input_value(e: &yew::Event) -> String {
    use yew::TargetCast;
    e.target_unchecked_into::<web_sys::HtmlInputElement>().value()
}

/// The value of the select an event came from.
pub fn select_value(e: &yew::Event) -> String {
    use yew::TargetCast;
    e.target_unchecked_into::<web_sys::HtmlSelectElement>().value()
}
