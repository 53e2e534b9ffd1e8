//! The nine areas of the APTIC referential and the PN1 scope bit set.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One of the nine areas of the referential, in scope-bit order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Area {
    /// 1.1 s'informer (inform).
    A1_1,
    /// 1.2 comprendre (understand).
    A1_2,
    /// 2.1 utiliser (use).
    A2_1,
    /// 2.2 démarches en ligne (online procedures).
    A2_2,
    /// 3.1 identité numérique (digital identity).
    A3_1,
    /// 3.2.
    A3_2,
    /// 3.3.
    A3_3,
    /// 3.4.
    A3_4,
    /// 3.5 insertion professionnelle (getting a job).
    A3_5,
}

impl Area {
    /// All areas, in scope-bit order.
    pub const ALL: [Area; 9] = [
        Area::A1_1,
        Area::A1_2,
        Area::A2_1,
        Area::A2_2,
        Area::A3_1,
        Area::A3_2,
        Area::A3_3,
        Area::A3_4,
        Area::A3_5,
    ];

    /// The area's code, such as `"2.2"`.
    pub fn code(self) -> &'static str {
        [
            "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "3.4", "3.5",
        ][self.bit() as usize]
    }

    /// The scope bit of the area (0 for 1.1 … 8 for 3.5).
    pub fn bit(self) -> u8 {
        self as u8
    }

    /// The level the area belongs to (1, 2 or 3).
    pub fn level(self) -> u8 {
        self.code().as_bytes()[0] - b'0'
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that is not one of the nine area codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an area of the referential (1.1, 1.2, 2.1, 2.2, 3.1, 3.2, 3.3, 3.4, 3.5)")]
pub struct AreaParseError(String);

impl FromStr for Area {
    type Err = AreaParseError;

    fn from_str(text: &str) -> Result<Area, AreaParseError> {
        Area::ALL
            .into_iter()
            .find(|area| area.code() == text)
            .ok_or_else(|| AreaParseError(text.to_owned()))
    }
}

impl Serialize for Area {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Area {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Area, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The areas a coupon may pay for: bit i set allows `Area::ALL[i]`; 0 allows every area.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope(pub u16);

impl Scope {
    /// The scope that allows every area.
    pub const ANY: Scope = Scope(0);

    /// The scope allowing exactly these areas (the empty list gives [`Scope::ANY`]).
    pub fn of(areas: &[Area]) -> Scope {
        Scope(areas.iter().fold(0, |bits, area| bits | 1 << area.bit()))
    }

    /// Whether the scope allows the area.
    pub fn allows(self, area: Area) -> bool {
        self.0 == 0 || self.0 & (1 << area.bit()) != 0
    }

    /// The areas allowed, in referential order.
    pub fn areas(self) -> Vec<Area> {
        Area::ALL
            .into_iter()
            .filter(|&area| self.allows(area))
            .collect()
    }

    /// Whether bits 9–15, which name no area, are set.
    pub fn has_unknown_bits(self) -> bool {
        self.0 >> 9 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_parse_and_map_to_their_bits() {
        for (bit, area) in Area::ALL.into_iter().enumerate() {
            assert_eq!(area.bit() as usize, bit);
            assert_eq!(area.code().parse::<Area>().unwrap(), area);
        }
        assert_eq!(Area::A2_2.code(), "2.2");
        assert_eq!(Area::A3_5.level(), 3);
        assert!("4.1".parse::<Area>().is_err());
        assert!("2.2 ".parse::<Area>().is_err());
    }

    #[test]
    fn scope_zero_allows_everything_and_bits_allow_their_area() {
        assert_eq!(Scope::ANY.areas().len(), 9);
        let scope = Scope::of(&[Area::A1_1, Area::A2_2]);
        assert_eq!(scope, Scope(0b1001));
        assert!(scope.allows(Area::A2_2));
        assert!(!scope.allows(Area::A2_1));
        assert_eq!(scope.areas(), vec![Area::A1_1, Area::A2_2]);
        assert!(Scope(1 << 9).has_unknown_bits());
        assert!(!Scope(0x1ff).has_unknown_bits());
    }
}
