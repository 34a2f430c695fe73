//! Path patterns for waivers: `*` matches within one folder name, `**`
//! across folders, `?` one character; everything else literally.

pub fn matches(pattern: &str, path: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    go(&p, &s)
}

fn go(p: &[char], s: &[char]) -> bool {
    match p {
        [] => s.is_empty(),
        ['*', '*', '/', rest @ ..] => {
            // `**/` matches zero or more whole folders.
            go(rest, s) || (0..s.len()).any(|i| s[i] == '/' && go(rest, &s[i + 1..]))
        }
        ['*', '*', rest @ ..] => (0..=s.len()).any(|i| go(rest, &s[i..])),
        ['*', rest @ ..] => (0..=s.len())
            .take_while(|&i| i == 0 || s[i - 1] != '/')
            .any(|i| go(rest, &s[i..])),
        ['?', rest @ ..] => !s.is_empty() && s[0] != '/' && go(rest, &s[1..]),
        [c, rest @ ..] => !s.is_empty() && s[0] == *c && go(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars() {
        assert!(matches(
            "fixtures/invalid/*.json",
            "fixtures/invalid/p.json"
        ));
        assert!(!matches("fixtures/*.json", "fixtures/invalid/p.json"));
        assert!(matches("fixtures/**/*.json", "fixtures/invalid/p.json"));
        assert!(matches("fixtures/**/*.json", "fixtures/p.json"));
        assert!(matches("**", "a/b/c"));
        assert!(matches("a/?.json", "a/b.json"));
        assert!(!matches("a/?.json", "a/bc.json"));
        assert!(matches("exact.json", "exact.json"));
        assert!(!matches("exact.json", "exact.jsonx"));
    }
}
