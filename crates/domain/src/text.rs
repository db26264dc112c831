//! Text helpers shared by server and client.

/// Folds a name for accent- and case-insensitive search: lower case, Latin accents removed,
/// apostrophes and runs of spaces or dashes turned into one space. "Fenegrò" and "FENEGRO" both
/// fold to "fenegro"; "Sant'Angelo Lodigiano" to "sant angelo lodigiano".
pub fn fold_for_search(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let mapped: Option<&str> = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => {
                Some("a")
            }
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => Some("e"),
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => Some("i"),
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => Some("o"),
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => Some("u"),
            'ç' | 'Ç' => Some("c"),
            'ñ' | 'Ñ' => Some("n"),
            _ => None,
        };
        if let Some(m) = mapped {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(m);
        } else if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold_for_search;

    #[test]
    fn accents_and_case_are_folded() {
        assert_eq!(fold_for_search("Fenegrò"), "fenegro");
        assert_eq!(fold_for_search("FENEGRO"), "fenegro");
        assert_eq!(fold_for_search("Salò"), "salo");
    }

    #[test]
    fn punctuation_becomes_single_spaces() {
        assert_eq!(
            fold_for_search("Sant'Angelo  Lodigiano"),
            "sant angelo lodigiano"
        );
        assert_eq!(fold_for_search(" Bianzano - Gandino "), "bianzano gandino");
        assert_eq!(fold_for_search(""), "");
    }
}
