//! "Did you mean …?" suggestions by edit distance.

/// Levenshtein distance over characters, ignoring ASCII case differences
/// at half the cost of other edits (so `computer` → `Computer` wins).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Costs are doubled so that a case-only change can cost 1.
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j * 2).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i * 2;
        for j in 1..=b.len() {
            let sub = if a[i - 1] == b[j - 1] {
                0
            } else if a[i - 1].eq_ignore_ascii_case(&b[j - 1]) {
                1
            } else {
                2
            };
            cur[j] = (prev[j - 1] + sub).min(prev[j] + 2).min(cur[j - 1] + 2);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidates to `name` that are near enough to be a likely
/// typo, best first (at most three).
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let limit = (name.chars().count().max(3) * 2) * 2 / 5 + 1;
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, c)| *d <= limit || c.to_lowercase().contains(&name.to_lowercase()) && name.len() >= 3)
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c.to_string()).collect()
}

pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    nearest(name, candidates).into_iter().next()
}

/// "did you mean `a`?" or "did you mean `a` or `b`?"
pub fn did_you_mean(options: &[String]) -> Option<String> {
    match options {
        [] => None,
        [one] => Some(format!("did you mean `{one}`?")),
        many => {
            let quoted: Vec<String> = many.iter().map(|m| format!("`{m}`")).collect();
            let (last, rest) = quoted.split_last()?;
            Some(format!("did you mean {} or {last}?", rest.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_mismatch_is_nearest() {
        let cands = ["Computer", "ContainerID", "Image"];
        assert_eq!(nearest("computer", cands), vec!["Computer"]);
        assert_eq!(closest("Computr", cands).as_deref(), Some("Computer"));
        assert!(nearest("zzzzzz", cands).is_empty());
    }
}
