//! Times as the reader sees them: the short clock beside a message, the full date on hover,
//! and the day a divider names.
//!
//! The server renders in UTC (it cannot know the reader's zone), and so does the browser's
//! first render, so hydration finds the same list; an effect then switches the page to local
//! time (`browser::local_stamp`, the browser's own `Intl`), which may move a message across a
//! day divider.

use super::browser;
use leptos::prelude::*;
use time::OffsetDateTime;

/// Whether the page shows local time yet: false on the server and until hydration is done.
/// One for the page (provided by `App`), so no view's closure outlives it.
#[derive(Clone, Copy)]
pub struct LocalTime(pub RwSignal<bool>);

impl LocalTime {
    /// Provides it, and switches to local time once the page runs in the browser: effects
    /// never run on the server, and this one runs after hydration.
    pub fn provide() {
        let local = RwSignal::new(false);
        Effect::new(move |_| local.set(true));
        provide_context(LocalTime(local));
    }
}

/// One instant, ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Days since 1970-01-01 in the zone shown: messages of one day share it.
    pub day: i64,
    /// "14:05" (or the reader's locale's form).
    pub clock: String,
    /// "Thursday, 3 December 2026 at 14:05", for the hover title.
    pub full: String,
    /// "Thursday, 3 December 2026", for a day divider.
    pub date: String,
}

const DAY_MS: i64 = 86_400_000;

/// `ms` (Unix milliseconds) in UTC. Out-of-range instants (no message has one) show as the
/// epoch rather than failing a render.
pub fn utc(ms: i64) -> Stamp {
    let at = utc_at(ms);
    let (year, month, day) = at.to_calendar_date();
    let date = format!("{}, {day} {month} {year}", at.weekday());
    let clock = format!("{:02}:{:02}", at.hour(), at.minute());
    Stamp {
        day: ms.div_euclid(DAY_MS),
        full: format!("{date} at {clock} UTC"),
        clock,
        date,
    }
}

fn utc_at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `<time datetime>`: RFC 3339 in UTC, to the second, whatever the zone shown.
pub fn iso(ms: i64) -> String {
    let at = utc_at(ms);
    let (year, month, day) = at.to_calendar_date();
    format!(
        "{year:04}-{:02}-{day:02}T{:02}:{:02}:{:02}Z",
        u8::from(month),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `ms` in the reader's zone and locale once the page runs in the browser (`local`), in UTC
/// before.
pub fn stamp(ms: i64, local: bool) -> Stamp {
    if local {
        browser::local_stamp(ms)
    } else {
        utc(ms)
    }
}

/// The day of `ms` (days since 1970-01-01) in the reader's zone once `local`, in UTC before:
/// only the zone's offset, none of the formatting `stamp` does.
pub fn day(ms: i64, local: bool) -> i64 {
    let offset_ms = if local { browser::utc_offset_ms(ms) } else { 0 };
    (ms + offset_ms).div_euclid(DAY_MS)
}

/// What a day divider says: "Today" and "Yesterday" once the page knows the reader's day
/// (`today`), the date otherwise.
pub fn day_label(stamp: &Stamp, today: Option<i64>) -> String {
    match today.map(|today| today - stamp.day) {
        Some(0) => "Today".into(),
        Some(1) => "Yesterday".into(),
        _ => stamp.date.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps_name_the_day_and_the_minute() {
        // 2026-12-03T14:05:09.250Z
        let ms = 1_796_306_709_250;
        let stamp = utc(ms);
        assert_eq!(stamp.clock, "14:05");
        assert_eq!(stamp.date, "Thursday, 3 December 2026");
        assert_eq!(stamp.full, "Thursday, 3 December 2026 at 14:05 UTC");
        assert_eq!(iso(ms), "2026-12-03T14:05:09Z");
        assert_eq!(utc(ms - 14 * 3_600_000 - 6 * 60_000).day, stamp.day - 1);
        assert_eq!(iso(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn the_divider_says_today_and_yesterday_only_when_the_day_is_known() {
        let stamp = utc(1_796_306_709_250);
        assert_eq!(day_label(&stamp, None), "Thursday, 3 December 2026");
        assert_eq!(day_label(&stamp, Some(stamp.day)), "Today");
        assert_eq!(day_label(&stamp, Some(stamp.day + 1)), "Yesterday");
        assert_eq!(day_label(&stamp, Some(stamp.day + 2)), stamp.date);
    }
}
