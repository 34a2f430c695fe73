//! Partial-precision dates, date-times and times: parsing of FHIRPath
//! literals and FHIR JSON text, formatting, comparison and calendar
//! arithmetic. Precision matters for equality (`@2012 = @2012-01` is empty),
//! so every value records how many components it has.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Components of a date, date-time or time; `prec` counts how many of
/// year, month, day, hour, minute, second(+fraction) are present (1..=6).
/// Times use only the time components (`prec` 4..=6).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Milliseconds.
    pub millis: u32,
    /// Whether the literal had a fraction of seconds (kept for formatting).
    pub frac_digits: u8,
    pub prec: u8,
    /// Offset from UTC in minutes when the text gave one.
    pub tz: Option<i32>,
    /// True for time-of-day values.
    pub is_time: bool,
}

fn num(s: &str, digits: usize) -> Option<u32> {
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl DateTime {
    /// Parses `YYYY[-MM[-DD[Thh[:mm[:ss[.fff]]][tz]]]]`, optionally with a
    /// trailing `T` (FHIRPath `@2015T`). Returns also whether a `T` was seen.
    pub fn parse_date_time(s: &str) -> Option<(DateTime, bool)> {
        let (date, time) = match s.find('T') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let mut d = DateTime::zero(false);
        let mut parts = date.split('-');
        d.year = num(parts.next()?, 4)? as i32;
        d.prec = 1;
        if let Some(m) = parts.next() {
            d.month = num(m, 2).filter(|m| (1..=12).contains(m))?;
            d.prec = 2;
            if let Some(dd) = parts.next() {
                d.day = num(dd, 2).filter(|x| *x >= 1 && *x <= days_in_month(d.year, d.month))?;
                d.prec = 3;
            }
        }
        if parts.next().is_some() {
            return None;
        }
        if let Some(t) = time {
            if t.is_empty() {
                return Some((d, true));
            }
            if d.prec < 3 {
                return None;
            }
            let (t, tz) = split_tz(t)?;
            d.tz = tz;
            d.read_time(t)?;
        }
        Some((d, time.is_some()))
    }

    /// Parses `hh[:mm[:ss[.fff]]]` (no time zone allowed).
    pub fn parse_time(s: &str) -> Option<DateTime> {
        let mut d = DateTime::zero(true);
        d.read_time(s)?;
        Some(d)
    }

    fn zero(is_time: bool) -> DateTime {
        DateTime {
            year: 0,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            millis: 0,
            frac_digits: 0,
            prec: 0,
            tz: None,
            is_time,
        }
    }

    fn read_time(&mut self, t: &str) -> Option<()> {
        let mut parts = t.split(':');
        self.hour = num(parts.next()?, 2).filter(|h| *h < 24)?;
        self.prec = 4;
        if let Some(m) = parts.next() {
            self.minute = num(m, 2).filter(|m| *m < 60)?;
            self.prec = 5;
            if let Some(s) = parts.next() {
                let (whole, frac) = match s.find('.') {
                    Some(i) => (&s[..i], Some(&s[i + 1..])),
                    None => (s, None),
                };
                self.second = num(whole, 2).filter(|s| *s < 60)?;
                if let Some(f) = frac {
                    if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let mut ms = String::from(f);
                    ms.truncate(3);
                    while ms.len() < 3 {
                        ms.push('0');
                    }
                    self.millis = ms.parse().ok()?;
                    self.frac_digits = f.len().min(9) as u8;
                }
                self.prec = 6;
            }
        }
        if parts.next().is_some() {
            return None;
        }
        Some(())
    }

    /// Whether this is a date only (no time components, not a time).
    pub fn is_date_only(&self) -> bool {
        !self.is_time && self.prec <= 3
    }

    /// FHIRPath literal text without the `@` (times without the `T`).
    pub fn format(&self) -> String {
        let mut s = String::new();
        if !self.is_time {
            s.push_str(&format!("{:04}", self.year));
            if self.prec >= 2 {
                s.push_str(&format!("-{:02}", self.month));
            }
            if self.prec >= 3 {
                s.push_str(&format!("-{:02}", self.day));
            }
            if self.prec >= 4 {
                s.push('T');
            }
        }
        if self.prec >= 4 {
            s.push_str(&format!("{:02}", self.hour));
        }
        if self.prec >= 5 {
            s.push_str(&format!(":{:02}", self.minute));
        }
        if self.prec >= 6 {
            s.push_str(&format!(":{:02}", self.second));
            if self.frac_digits > 0 {
                s.push_str(&format!(".{:03}", self.millis));
            }
        }
        if let Some(tz) = self.tz {
            if tz == 0 {
                s.push('Z');
            } else {
                let sign = if tz < 0 { '-' } else { '+' };
                s.push_str(&format!("{sign}{:02}:{:02}", tz.abs() / 60, tz.abs() % 60));
            }
        }
        s
    }

    /// Milliseconds since an arbitrary epoch, for the components present,
    /// normalised to UTC when a time zone is known.
    fn instant_ms(&self) -> i64 {
        let days = if self.is_time {
            0
        } else {
            days_from_civil(self.year, self.month, self.day)
        };
        let ms = ((days * 24 + self.hour as i64) * 60 + self.minute as i64) * 60_000
            + self.second as i64 * 1000
            + self.millis as i64;
        ms - self.tz.unwrap_or(0) as i64 * 60_000
    }

    /// Compares per the spec: `None` when the precisions differ and the
    /// common components are equal (the answer is unknown). Seconds and
    /// fractions count as one precision.
    pub fn compare(&self, o: &DateTime) -> Option<Ordering> {
        if self.is_time != o.is_time {
            return None;
        }
        if self.prec >= 4 && o.prec >= 4 && self.tz.is_some() != o.tz.is_some() {
            // one side has a zone and the other does not: unknown
            return None;
        }
        if self.prec >= 4 && o.prec >= 4 && self.tz.is_some() {
            // normalise zones, then compare at the common precision
            let a = self.instant_ms();
            let b = o.instant_ms();
            if self.prec == o.prec {
                return Some(a.cmp(&b));
            }
            let unit = unit_ms(self.prec.min(o.prec));
            let c = (a.div_euclid(unit)).cmp(&b.div_euclid(unit));
            return if c == Ordering::Equal { None } else { Some(c) };
        }
        let ka = self.key();
        let kb = o.key();
        let lo = if self.is_time { 3 } else { 0 };
        let common = (self.prec.min(o.prec) as usize).min(6);
        for i in lo..common {
            match ka[i].cmp(&kb[i]) {
                Ordering::Equal => {}
                c => return Some(c),
            }
        }
        if self.prec == o.prec {
            Some(Ordering::Equal)
        } else {
            None
        }
    }

    fn key(&self) -> [i64; 6] {
        [
            self.year as i64,
            self.month as i64,
            self.day as i64,
            self.hour as i64,
            self.minute as i64,
            self.second as i64 * 1000 + self.millis as i64,
        ]
    }

    /// Adds `amount` of a calendar unit (year..millisecond); the amount is
    /// truncated to the value's precision as the spec says.
    pub fn add(&self, amount: Decimal, unit: &str) -> Option<DateTime> {
        let mut d = self.clone();
        let whole = amount.trunc().to_i64()?;
        match unit {
            "year" | "years" => d.year = (d.year as i64 + whole).try_into().ok()?,
            "month" | "months" => {
                let m = d.year as i64 * 12 + d.month as i64 - 1 + whole;
                d.year = m.div_euclid(12).try_into().ok()?;
                d.month = (m.rem_euclid(12) + 1) as u32;
            }
            "week" | "weeks" => return self.add_ms(whole.checked_mul(7 * 86_400_000)?, 3),
            "day" | "days" => return self.add_ms(whole.checked_mul(86_400_000)?, 3),
            "hour" | "hours" => return self.add_ms(whole.checked_mul(3_600_000)?, 4),
            "minute" | "minutes" => return self.add_ms(whole.checked_mul(60_000)?, 5),
            "second" | "seconds" | "s" => {
                return self.add_ms(whole.checked_mul(1000)?, 6);
            }
            "millisecond" | "milliseconds" | "ms" => return self.add_ms(whole, 6),
            _ => return None,
        }
        if !d.is_time && d.prec >= 3 {
            d.day = d.day.min(days_in_month(d.year, d.month));
        }
        (0..=9999).contains(&d.year).then_some(d)
    }

    /// Adds milliseconds; values less precise than `min_prec` change only in
    /// whole units of their own precision.
    fn add_ms(&self, ms: i64, min_prec: u8) -> Option<DateTime> {
        let mut d = self.clone();
        let unit = unit_ms(d.prec.max(if d.is_time { 4 } else { 1 }).max(3));
        let ms = if d.prec < min_prec {
            ms / unit * unit
        } else {
            ms
        };
        let base = if d.is_time {
            0
        } else {
            days_from_civil(d.year, d.month, d.day)
        };
        let total = ((base * 24 + d.hour as i64) * 60 + d.minute as i64) * 60_000
            + d.second as i64 * 1000
            + d.millis as i64;
        let total = total.checked_add(ms)?;
        let days = total.div_euclid(86_400_000);
        let rest = total.rem_euclid(86_400_000);
        if !d.is_time {
            let (y, m, dd) = civil_from_days(days);
            d.year = y;
            if d.prec >= 2 {
                d.month = m;
            }
            if d.prec >= 3 {
                d.day = dd;
            }
        }
        d.hour = (rest / 3_600_000) as u32;
        d.minute = (rest / 60_000 % 60) as u32;
        d.second = (rest / 1000 % 60) as u32;
        d.millis = (rest % 1000) as u32;
        if d.millis != 0 && d.frac_digits == 0 && d.prec >= 6 {
            d.frac_digits = 3;
        }
        (d.is_time || (0..=9999).contains(&d.year)).then_some(d)
    }
}

fn unit_ms(prec: u8) -> i64 {
    match prec {
        0..=3 => 86_400_000,
        4 => 3_600_000,
        5 => 60_000,
        _ => 1,
    }
}

fn split_tz(t: &str) -> Option<(&str, Option<i32>)> {
    if let Some(x) = t.strip_suffix('Z') {
        return Some((x, Some(0)));
    }
    if let Some(i) = t.rfind(['+', '-']) {
        let (h, m) = t[i + 1..].split_once(':')?;
        let mins = num(h, 2)? as i32 * 60 + num(m, 2)? as i32;
        let sign = if &t[i..i + 1] == "-" { -1 } else { 1 };
        return Some((&t[..i], Some(sign * mins)));
    }
    Some((t, None))
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Howard Hinnant's days-from-civil algorithm.
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = y as i64 - if m <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y as i32, m, d)
}

/// The current UTC date-time with millisecond precision.
pub fn now() -> DateTime {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    let rest = ms.rem_euclid(86_400_000);
    DateTime {
        year: y,
        month: m,
        day: d,
        hour: (rest / 3_600_000) as u32,
        minute: (rest / 60_000 % 60) as u32,
        second: (rest / 1000 % 60) as u32,
        millis: (rest % 1000) as u32,
        frac_digits: 3,
        prec: 6,
        tz: Some(0),
        is_time: false,
    }
}
