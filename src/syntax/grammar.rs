//! The pest parser derived from `grammar/pol.pest`. Nothing outside `syntax/`
//! refers to [`Rule`].

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/pol.pest"]
pub struct PolParser;
