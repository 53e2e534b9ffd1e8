//! Days as centers count them: calendar days in Europe/Paris. The one definition is
//! [`guichet_core::day`] (the zone compiled in, no lookup that could fall back to UTC); the
//! platform's modules and tests name it through this module.

pub use guichet_core::day::paris_day;
