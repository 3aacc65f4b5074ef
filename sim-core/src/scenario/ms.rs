//! Milliseconds as scenario files write them: a JSON number of
//! milliseconds with up to three decimals (microsecond resolution), kept
//! as whole microseconds so nothing downstream rounds. `at_ms` may also be
//! a `[min, max]` range. Reading a fourth decimal is an error naming the
//! field; writing back gives an integer when the value is whole
//! milliseconds, so files without fractions round-trip unchanged.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::time::US_PER_MS;

/// The largest number of milliseconds a field can hold at all (validation
/// enforces each field's own, smaller limit).
const MAX_READABLE_MS: u64 = 1_000_000_000_000;

/// A number of milliseconds with microsecond resolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ms(u64);

impl Ms {
    pub const fn from_ms(ms: u64) -> Ms {
        Ms(ms.saturating_mul(US_PER_MS))
    }

    pub const fn from_us(us: u64) -> Ms {
        Ms(us)
    }

    /// The value in microseconds.
    pub const fn us(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Ms {
    /// `150`, `0.2`, `1.005`: milliseconds, no trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ms, us) = (self.0 / US_PER_MS, self.0 % US_PER_MS);
        if us == 0 {
            write!(f, "{ms}")
        } else {
            let frac = format!("{us:03}");
            write!(f, "{ms}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for Ms {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % US_PER_MS == 0 {
            s.serialize_u64(self.0 / US_PER_MS)
        } else {
            // Shortest float that reads back as this many microseconds.
            let text = self.to_string();
            s.serialize_f64(text.parse().expect("a decimal"))
        }
    }
}

struct MsVisitor;

impl Visitor<'_> for MsVisitor {
    type Value = Ms;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of milliseconds (at most 3 decimals)")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ms, E> {
        if v > MAX_READABLE_MS {
            return Err(E::custom(format!("{v} ms is far too large")));
        }
        Ok(Ms::from_ms(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ms, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!("{v} ms is negative"))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ms, E> {
        if !v.is_finite() || v < 0.0 {
            return Err(E::custom(format!("{v} ms is not a duration")));
        }
        if v > MAX_READABLE_MS as f64 {
            return Err(E::custom(format!("{v} ms is far too large")));
        }
        let us = (v * US_PER_MS as f64).round();
        if (v * US_PER_MS as f64 - us).abs() > 1e-6 * us.max(1.0) {
            return Err(E::custom(format!(
                "{v} ms has more than 3 decimals: the resolution is one microsecond (0.001 ms)"
            )));
        }
        Ok(Ms(us as u64))
    }
}

impl<'de> Deserialize<'de> for Ms {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ms, D::Error> {
        d.deserialize_any(MsVisitor)
    }
}

impl JsonSchema for Ms {
    fn schema_name() -> Cow<'static, str> {
        "Milliseconds".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Milliseconds with microsecond resolution (at most 3 decimals).",
            "type": "number",
            "minimum": 0,
            "maximum": super::MAX_DURATION_MS,
            "multipleOf": 0.001
        })
    }
}

/// A `[min, max]` range of milliseconds.
pub type RangeMs = [Ms; 2];

/// The microseconds of a `[min, max]` range.
pub fn range_us([min, max]: RangeMs) -> (u64, u64) {
    (min.us(), max.us())
}

/// A range of microseconds as a `[min, max]` range of milliseconds.
pub fn range_ms((min, max): (u64, u64)) -> RangeMs {
    [Ms::from_us(min), Ms::from_us(max)]
}

/// `at_ms`: one instant, or a `[min, max]` range drawn uniformly (whole
/// microseconds) from the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtMs {
    At(Ms),
    Range(RangeMs),
}

impl Default for AtMs {
    fn default() -> AtMs {
        AtMs::At(Ms::default())
    }
}

impl AtMs {
    /// The earliest instant it can be.
    pub fn min(self) -> Ms {
        match self {
            AtMs::At(at) => at,
            AtMs::Range([min, _]) => min,
        }
    }

    /// The latest instant it can be.
    pub fn max(self) -> Ms {
        match self {
            AtMs::At(at) => at,
            AtMs::Range([_, max]) => max,
        }
    }

    /// The same instant or range, `us` microseconds earlier (not below 0).
    pub fn earlier_by_us(self, us: u64) -> AtMs {
        let shift = |m: Ms| Ms::from_us(m.us().saturating_sub(us));
        match self {
            AtMs::At(at) => AtMs::At(shift(at)),
            AtMs::Range([min, max]) => AtMs::Range([shift(min), shift(max)]),
        }
    }
}

impl fmt::Display for AtMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtMs::At(at) => write!(f, "{at}"),
            AtMs::Range([min, max]) => write!(f, "[{min}, {max}]"),
        }
    }
}

impl Serialize for AtMs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AtMs::At(at) => at.serialize(s),
            AtMs::Range(range) => range.serialize(s),
        }
    }
}

struct AtVisitor;

impl<'de> Visitor<'de> for AtVisitor {
    type Value = AtMs;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("milliseconds, or a [min, max] range of milliseconds")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<AtMs, E> {
        MsVisitor.visit_u64(v).map(AtMs::At)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<AtMs, E> {
        MsVisitor.visit_i64(v).map(AtMs::At)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<AtMs, E> {
        MsVisitor.visit_f64(v).map(AtMs::At)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AtMs, A::Error> {
        let min: Ms = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let max: Ms = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok(AtMs::Range([min, max]))
    }
}

impl<'de> Deserialize<'de> for AtMs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AtMs, D::Error> {
        d.deserialize_any(AtVisitor)
    }
}

impl JsonSchema for AtMs {
    fn schema_name() -> Cow<'static, str> {
        "AtMilliseconds".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let ms = generator.subschema_for::<Ms>();
        json_schema!({
            "description": "An instant in milliseconds, or a [min, max] range drawn uniformly (whole microseconds) from the seed.",
            "anyOf": [ms, {"type": "array", "items": ms, "minItems": 2, "maxItems": 2}]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_microseconds_and_refuses_a_fourth_decimal() {
        let ms: Ms = serde_json::from_str("0.25").unwrap();
        assert_eq!(ms.us(), 250);
        let ms: Ms = serde_json::from_str("150").unwrap();
        assert_eq!(ms.us(), 150_000);
        assert_eq!(serde_json::from_str::<Ms>("1.005").unwrap().us(), 1_005);
        let err = serde_json::from_str::<Ms>("0.0001").unwrap_err();
        assert!(err.to_string().contains("more than 3 decimals"), "{err}");
        assert!(serde_json::from_str::<Ms>("-1").is_err());
    }

    #[test]
    fn writes_back_what_it_read() {
        for text in ["150", "0.2", "1.005", "12.34"] {
            let ms: Ms = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&ms).unwrap(), text);
        }
        let at: AtMs = serde_json::from_str("[100.5, 200]").unwrap();
        assert_eq!(at, AtMs::Range([Ms::from_us(100_500), Ms::from_ms(200)]));
        assert_eq!(serde_json::to_string(&at).unwrap(), "[100.5,200]");
        assert!(serde_json::from_str::<AtMs>("[1, 2, 3]").is_err());
    }
}
