//! `--credentials-file`: key pairs in the AWS shared credentials format (`~/.aws/credentials`),
//! every profile's pair accepted by signature verification.

/// The (access key id, secret access key) of every profile that has both.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut profile: Option<String> = None;
    let mut key: Option<String> = None;
    let mut secret: Option<String> = None;
    let mut finish =
        |profile: &Option<String>, key: &mut Option<String>, secret: &mut Option<String>| {
            match (key.take(), secret.take()) {
                (Some(k), Some(s)) => pairs.push((k, s)),
                (None, None) => {}
                _ => {
                    return Err(format!(
                        "profile [{}] needs both aws_access_key_id and aws_secret_access_key",
                        profile.as_deref().unwrap_or("")
                    ));
                }
            }
            Ok(())
        };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            finish(&profile, &mut key, &mut secret)?;
            profile = Some(name.trim().to_owned());
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!(
                "line {}: expected key = value, got {line:?}",
                n + 1
            ));
        };
        if profile.is_none() {
            return Err(format!("line {}: a setting before any [profile]", n + 1));
        }
        let value = value.trim().to_owned();
        match name.trim().to_ascii_lowercase().as_str() {
            "aws_access_key_id" => key = Some(value),
            "aws_secret_access_key" => secret = Some(value),
            _ => {}
        }
    }
    finish(&profile, &mut key, &mut secret)?;
    if pairs.is_empty() {
        return Err("no profile with aws_access_key_id and aws_secret_access_key".into());
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_with_a_pair_counts() {
        let text = "# keys\n[default]\naws_access_key_id = AKIDA\naws_secret_access_key=secretA\n\n\
                    [ci]\nregion = eu-west-1\nAWS_ACCESS_KEY_ID = AKIDB\naws_secret_access_key = secretB\n\
                    aws_session_token = t\n[empty]\n";
        assert_eq!(
            parse(text),
            Ok(vec![
                ("AKIDA".to_owned(), "secretA".to_owned()),
                ("AKIDB".to_owned(), "secretB".to_owned())
            ])
        );
    }

    #[test]
    fn half_a_pair_or_none_is_refused() {
        assert!(parse("[p]\naws_access_key_id = A\n").is_err());
        assert!(parse("aws_access_key_id = A\n").is_err());
        assert!(parse("[p]\nregion = x\n").is_err());
        assert!(parse("[p]\nnot a setting\n").is_err());
    }
}
