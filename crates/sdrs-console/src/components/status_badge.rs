//! A group status as words in a badge (the colour only repeats what the words say).

use sdrs_core::status::GroupStatus;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StatusBadgeProps {
    pub status: GroupStatus,
}

#[component]
pub fn StatusBadge(props: &StatusBadgeProps) -> Html {
    html! { <span class={crate::view::badge_class(props.status)}>{ props.status.as_str() }</span> }
}
