//! What the commands print: data on stdout (JSON for machines, text for people), a closed
//! pipe being no error. Rendering knows the report and the terminal, not the commands.

pub mod render;
