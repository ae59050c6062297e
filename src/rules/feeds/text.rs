//! Plain IOC lists: one IOC a line, its kind told by its shape (hex of 32 / 40 / 64 digits, an
//! IP address with an optional port, a URL, a domain), defanged values restored. Blank lines and
//! lines starting with `#` or `//` are comments, as is the rest of a line after ` #`.

use super::normalise::{guess, refang};
use super::{Location, Meta, Sink};

pub(crate) fn read(text: &str, sink: &mut Sink) {
    let meta = Meta::default();
    for (index, line) in text.lines().enumerate() {
        let location = Location::Line(index as u32 + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let value = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(comment) => line[..comment].trim_end(),
            None => line,
        };
        if value.contains(char::is_whitespace) {
            sink.warn(
                location,
                format!("`{value}` is more than one value; a plain list has one IOC a line"),
            );
            continue;
        }
        match guess(&refang(value)) {
            Ok(kind) => sink.push(kind, value, &meta, location),
            Err(why) => sink.warn(location, why),
        }
    }
}
