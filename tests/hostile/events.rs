//! Placeholder: filled by the hostile-origin work on this area.
