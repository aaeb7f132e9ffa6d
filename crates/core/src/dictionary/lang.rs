//! The six languages of the dictionary, and choosing one for a request.

use serde::{Deserialize, Serialize};

use crate::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Lang {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "es")]
    Es,
    #[serde(rename = "fr")]
    Fr,
    #[serde(rename = "de")]
    De,
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "zh-TW")]
    ZhTw,
}

impl Lang {
    pub const ALL: [Lang; 6] = [
        Lang::En,
        Lang::Es,
        Lang::Fr,
        Lang::De,
        Lang::ZhCn,
        Lang::ZhTw,
    ];

    /// The languages other than English that a term's name is translated into.
    pub const TRANSLATED: [Lang; 5] = [Lang::Es, Lang::Fr, Lang::De, Lang::ZhCn, Lang::ZhTw];

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::De => "de",
            Self::ZhCn => "zh-CN",
            Self::ZhTw => "zh-TW",
        }
    }

    /// A BCP 47 tag as clients send it (`en-US`, `zh-Hant`, `ZH-tw`), or `None` when the
    /// dictionary has no such language.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        let primary = parts.next()?;
        let rest: Vec<&str> = parts.collect();
        match primary {
            "en" => Some(Self::En),
            "es" => Some(Self::Es),
            "fr" => Some(Self::Fr),
            "de" => Some(Self::De),
            "zh" => {
                let traditional = rest
                    .iter()
                    .any(|part| matches!(*part, "tw" | "hk" | "mo" | "hant"));
                Some(if traditional { Self::ZhTw } else { Self::ZhCn })
            }
            _ => None,
        }
    }

    /// The language of a request: the `lang` parameter when given (400 when the dictionary
    /// has no such language), else the best supported language of `Accept-Language` by its
    /// q-values, else English.
    pub fn negotiate(param: Option<&str>, accept_language: Option<&str>) -> Result<Self, ApiError> {
        if let Some(param) = param.map(str::trim).filter(|param| !param.is_empty()) {
            return Self::from_tag(param).ok_or_else(|| unsupported(param));
        }
        Ok(accept_language
            .and_then(from_accept_language)
            .unwrap_or(Self::En))
    }

    /// A comma-separated list of language codes (`en,es`); 400 naming any unknown one.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, ApiError> {
        let mut langs = Vec::new();
        for tag in list.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
            let lang = Self::from_tag(tag).ok_or_else(|| unsupported(tag))?;
            if !langs.contains(&lang) {
                langs.push(lang);
            }
        }
        Ok(langs)
    }
}

fn unsupported(tag: &str) -> ApiError {
    ApiError::Validation {
        message: format!("Unsupported language {tag:?}; use one of en, es, fr, de, zh-CN, zh-TW"),
        details: Some(serde_json::json!({ "field": "lang" })),
    }
}

fn from_accept_language(header: &str) -> Option<Lang> {
    let mut ranked: Vec<(f32, usize, Lang)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let lang = Lang::from_tag(parts.next()?)?;
            let quality = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0).then_some((quality, position, lang))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map(|(_, _, lang)| *lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_map_to_the_six_languages() {
        assert_eq!(Lang::from_tag("en-US"), Some(Lang::En));
        assert_eq!(Lang::from_tag("ZH_tw"), Some(Lang::ZhTw));
        assert_eq!(Lang::from_tag("zh-Hant-HK"), Some(Lang::ZhTw));
        assert_eq!(Lang::from_tag("zh"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("zh-Hans"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("ja"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn the_parameter_wins_and_must_be_supported() {
        assert_eq!(Lang::negotiate(Some("fr"), Some("de")).unwrap(), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("xx"), None).unwrap_err().status(), 400);
        assert_eq!(Lang::negotiate(Some(" "), Some("de-DE")).unwrap(), Lang::De);
    }

    #[test]
    fn accept_language_is_ranked_by_quality() {
        let header = "ja;q=1.0, fr;q=0.5, de;q=0.8, es;q=0";
        assert_eq!(Lang::negotiate(None, Some(header)).unwrap(), Lang::De);
        assert_eq!(Lang::negotiate(None, Some("ja, ko")).unwrap(), Lang::En);
        assert_eq!(Lang::negotiate(None, Some(";;,q=")).unwrap(), Lang::En);
        assert_eq!(Lang::negotiate(None, None).unwrap(), Lang::En);
    }

    #[test]
    fn lists_are_deduplicated_and_checked() {
        assert_eq!(
            Lang::parse_list("en, es,en").unwrap(),
            vec![Lang::En, Lang::Es]
        );
        assert!(Lang::parse_list("en,klingon").is_err());
    }
}
