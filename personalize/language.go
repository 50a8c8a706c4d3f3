package personalize

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
)

// The language check is a light heuristic: the share of a text's words that are among the most
// common function words ("stopwords") of a language. Ordinary prose in a language has a third
// or more of its words in that list; text in another language has few. It tells English from
// the other languages below reliably on a paragraph, less so on a line or two, and it cannot
// judge a language it has no list for beyond "this is not English". Texts under minWords words
// are not judged at all.

// stopwords holds, per language, common function words that are rare as words of the others.
// Words shared between two lists count for both, which only narrows the margin.
var stopwords = map[string]map[string]bool{
	"en": set("the and to of a you your is it that for we in on this with be are was have has can will please our if as at by or not an thank thanks us would could any from just been what which there their know let"),
	"de": set("der die das und ist nicht sie ihr ihre ihren ihrem wir zu den dem des ein eine einen einem mit auf für von bitte danke wenn sich auch noch nur oder wie bei aus dass können konnten wurde werden haben hat"),
	"fr": set("le la les et est pas vous votre vos nous de des du un une pour avec sur dans que qui ne merci si il elle au aux ce cette sont été avons pouvez être"),
	"es": set("el la los las y es no usted su sus nosotros de del un una para con por en que se gracias si lo al este esta son ha hemos puede favor"),
	"it": set("il lo la gli le e è non lei suo sua suoi noi di del della un una per con su che si grazie se al sono ha abbiamo può questo questa"),
	"nl": set("de het een en is niet u uw jij je wij we van voor met op dat die er dank als bij ook zijn heeft hebben kunt wordt dit deze"),
	"pt": set("o os as e é não você seu sua seus nós de do da dos das um uma para com por em que se obrigado obrigada ao foi são tem podemos este esta"),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

const (
	minWords      = 12   // below this a text is too short to judge
	minShare      = 0.20 // the locale's list must cover at least this share of the words
	maxOtherShare = 0.20 // for a language without a list: English may cover at most this share
)

// words splits s into lower-case words of letters (apostrophes kept inside a word).
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	})
}

// share is the fraction of ws found in list.
func share(ws []string, list map[string]bool) float64 {
	n := 0
	for _, w := range ws {
		if list[w] {
			n++
		}
	}
	return float64(n) / float64(len(ws))
}

// checkLanguage returns why s does not read as the locale's language, or "".
func checkLanguage(locale, s string) string {
	ws := words(s)
	if len(ws) < minWords {
		return ""
	}
	lang := strings.ToLower(strings.SplitN(locale, "-", 2)[0])
	list, ok := stopwords[lang]
	if !ok {
		if sh := share(ws, stopwords["en"]); sh > maxOtherShare {
			return fmt.Sprintf("reads as English (%.0f%% English stopwords) for locale %s", sh*100, locale)
		}
		return ""
	}
	own := share(ws, list)
	if own < minShare {
		return fmt.Sprintf("only %.0f%% of the words are common %s words (at least %.0f%% expected)", own*100, lang, minShare*100)
	}
	for _, other := range slices.Sorted(maps.Keys(stopwords)) {
		if other == lang {
			continue
		}
		if sh := share(ws, stopwords[other]); sh > own {
			return fmt.Sprintf("reads more as %s (%.0f%%) than %s (%.0f%%)", other, sh*100, lang, own*100)
		}
	}
	return ""
}
