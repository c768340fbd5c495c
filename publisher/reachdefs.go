package publisher

import (
	"strconv"
	"strings"
)

// The definitions: how each platform's raw metrics, for a range of its API
// versions, become Prasar's figures. docs/metrics.md is the same table in
// prose; the UI shows the definition next to every figure, so that nobody
// compares unlike numbers without knowing it. Change a definition here (and
// in docs/metrics.md), then rebuild the roll-ups from the raw readings
// (`prasar admin rebuild-rollups`).

// FigureRule is how one figure comes from one platform's raw metrics.
type FigureRule struct {
	// Metrics are raw metric names. Reach and views take the first of them
	// that a reading has; engagements sum those a reading has. None: the
	// platform does not give this figure ("not available", never zero).
	Metrics []string `json:"metrics,omitempty"`
	// Text says in plain words what the figure counts on this platform,
	// or why it is not available; TextHI says it in Hindi.
	Text   string `json:"text"`
	TextHI string `json:"textHi"`
}

// Available reports whether the platform gives the figure at all.
func (r FigureRule) Available() bool { return len(r.Metrics) > 0 }

// MetricDefinition maps one platform's raw metrics, for a range of its API
// versions, to Prasar's figures.
type MetricDefinition struct {
	ID       string   `json:"id"`
	Platform Platform `json:"platform"`
	// Versions describes the API versions it applies to, for people (in
	// English and Hindi).
	Versions   string `json:"versions"`
	VersionsHI string `json:"versionsHi"`
	// MinVersion (inclusive) and BelowVersion (exclusive) bound the API
	// versions it applies to; empty: unbounded.
	MinVersion   string     `json:"-"`
	BelowVersion string     `json:"-"`
	Reach        FigureRule `json:"reach"`
	Views        FigureRule `json:"views"`
	Engagements  FigureRule `json:"engagements"`
	// Notes are caveats that hold for every figure of the platform (in
	// English and Hindi).
	Notes   string `json:"notes,omitempty"`
	NotesHI string `json:"notesHi,omitempty"`
}

// Rule returns the rule of figure f.
func (d *MetricDefinition) Rule(f Figure) FigureRule {
	switch f {
	case FigureReach:
		return d.Reach
	case FigureViews:
		return d.Views
	}
	return d.Engagements
}

// notAvailable is the rule of a figure a platform does not give.
func notAvailable(why, whyHI string) FigureRule { return FigureRule{Text: why, TextHI: whyHI} }

// metricDefinitions is the one table of definitions. Within a platform,
// newer API versions come first; a reading without a known version uses
// the first of its platform.
var metricDefinitions = []MetricDefinition{
	{
		ID: "facebook", Platform: Facebook, Versions: "all Graph API versions", VersionsHI: "Graph API के सभी संस्करण",
		Reach: FigureRule{Metrics: []string{"post_total_media_view_unique", "post_impressions_unique"},
			Text:   "Accounts that saw the post at least once (post_total_media_view_unique; before Meta removed it on 15 Nov 2025, post_impressions_unique).",
			TextHI: "वे खाते जिन्होंने पोस्ट कम से कम एक बार देखी (post_total_media_view_unique; 15 नवंबर 2025 को Meta द्वारा हटाए जाने से पहले post_impressions_unique)।"},
		Views: FigureRule{Metrics: []string{"post_media_view", "post_impressions"},
			Text:   "Times the post was on screen (post_media_view; before 15 Nov 2025, post_impressions, which Meta counted differently).",
			TextHI: "पोस्ट कितनी बार स्क्रीन पर आई (post_media_view; 15 नवंबर 2025 से पहले post_impressions, जिसे Meta अलग तरह से गिनता था)।"},
		Engagements: FigureRule{Metrics: []string{"post_reactions_like_total", "post_reactions_love_total", "post_reactions_wow_total", "post_reactions_haha_total",
			"post_reactions_sorry_total", "post_reactions_anger_total", "post_activity_by_action_type.comment", "post_activity_by_action_type.share"},
			Text:   "Reactions of every kind, plus comments and shares where the connector reports them (post_reactions_*_total, post_activity_by_action_type).",
			TextHI: "हर प्रकार की प्रतिक्रियाएँ, और जहाँ कनेक्टर बताता है वहाँ टिप्पणियाँ और शेयर (post_reactions_*_total, post_activity_by_action_type)।"},
		Notes:   "Page insights exist only for Pages with 100 or more likes and are updated about once a day.",
		NotesHI: "पेज इनसाइट्स केवल 100 या अधिक लाइक वाले पेजों के लिए होती हैं और लगभग दिन में एक बार अद्यतन होती हैं।",
	},
	{
		ID: "instagram-v22", Platform: Instagram, Versions: "v22.0 and later", VersionsHI: "v22.0 और उसके बाद", MinVersion: "v22.0",
		Reach: FigureRule{Metrics: []string{"reach"}, Text: "Accounts that saw the post at least once (reach).",
			TextHI: "वे खाते जिन्होंने पोस्ट कम से कम एक बार देखी (reach)।"},
		Views: FigureRule{Metrics: []string{"views"}, Text: "Times the post was on screen, replays included (views).",
			TextHI: "पोस्ट कितनी बार स्क्रीन पर आई, दोबारा चलाना भी शामिल (views)।"},
		Engagements: FigureRule{Metrics: []string{"likes", "comments", "shares", "saved", "reposts"},
			Text:   "Likes, comments, shares, saves and reposts (likes + comments + shares + saved + reposts).",
			TextHI: "लाइक, टिप्पणियाँ, शेयर, सेव और रीपोस्ट (likes + comments + shares + saved + reposts)।"},
		Notes:   "Instagram's numbers can lag up to 48 hours; an album's items have no insights of their own.",
		NotesHI: "Instagram के आँकड़े 48 घंटे तक पीछे रह सकते हैं; एल्बम की अलग-अलग तस्वीरों की अपनी इनसाइट्स नहीं होतीं।",
	},
	{
		ID: "instagram-v21", Platform: Instagram, Versions: "before v22.0", VersionsHI: "v22.0 से पहले", BelowVersion: "v22.0",
		Reach: FigureRule{Metrics: []string{"reach"}, Text: "Accounts that saw the post at least once (reach).",
			TextHI: "वे खाते जिन्होंने पोस्ट कम से कम एक बार देखी (reach)।"},
		Views: FigureRule{Metrics: []string{"impressions", "views"},
			Text:   "Times the post was on screen as impressions counted them (impressions; only for media created before 2 July 2024). Not comparable with views of v22.0 and later.",
			TextHI: "इम्प्रेशन की गिनती के अनुसार पोस्ट कितनी बार स्क्रीन पर आई (impressions; केवल 2 जुलाई 2024 से पहले बने मीडिया के लिए)। v22.0 और उसके बाद के views से तुलना योग्य नहीं।"},
		Engagements: FigureRule{Metrics: []string{"likes", "comments", "shares", "saved"},
			Text:   "Likes, comments, shares and saves (likes + comments + shares + saved).",
			TextHI: "लाइक, टिप्पणियाँ, शेयर और सेव (likes + comments + shares + saved)।"},
	},
	{
		ID: "x-v2", Platform: X, Versions: "API v2", VersionsHI: "API v2",
		Reach: notAvailable("X reports how often a post was shown (impressions), not how many accounts saw it.",
			"X बताता है कि पोस्ट कितनी बार दिखाई गई (impressions), यह नहीं कि कितने खातों ने उसे देखा।"),
		Views: FigureRule{Metrics: []string{"public_metrics.impression_count", "non_public_metrics.impression_count", "organic_metrics.impression_count"},
			Text: "Times the post was shown (impression_count).", TextHI: "पोस्ट कितनी बार दिखाई गई (impression_count)।"},
		Engagements: FigureRule{Metrics: []string{"public_metrics.like_count", "public_metrics.reply_count", "public_metrics.retweet_count",
			"public_metrics.quote_count", "public_metrics.bookmark_count"},
			Text:   "Likes, replies, reposts, quotes and bookmarks (like_count + reply_count + retweet_count + quote_count + bookmark_count).",
			TextHI: "लाइक, जवाब, रीपोस्ट, कोट और बुकमार्क (like_count + reply_count + retweet_count + quote_count + bookmark_count)।"},
	},
	{
		ID: "threads-v1", Platform: Threads, Versions: "v1.0", VersionsHI: "v1.0",
		Reach: notAvailable("Threads reports views, not how many accounts saw a post.",
			"Threads व्यूज़ बताता है, यह नहीं कि कितने खातों ने पोस्ट देखी।"),
		Views: FigureRule{Metrics: []string{"views"}, Text: "Times the post was viewed (views).", TextHI: "पोस्ट कितनी बार देखी गई (views)।"},
		Engagements: FigureRule{Metrics: []string{"likes", "replies", "reposts", "quotes", "shares"},
			Text:   "Likes, replies, reposts, quotes and shares (likes + replies + reposts + quotes + shares).",
			TextHI: "लाइक, जवाब, रीपोस्ट, कोट और शेयर (likes + replies + reposts + quotes + shares)।"},
	},
	{
		ID: "linkedin", Platform: LinkedIn, Versions: "all monthly versions (Linkedin-Version)", VersionsHI: "सभी मासिक संस्करण (Linkedin-Version)",
		Reach: FigureRule{Metrics: []string{"uniqueImpressionsCount"}, Text: "Members the post was shown to (uniqueImpressionsCount).",
			TextHI: "वे सदस्य जिन्हें पोस्ट दिखाई गई (uniqueImpressionsCount)।"},
		Views: FigureRule{Metrics: []string{"impressionCount"}, Text: "Times the post was shown (impressionCount).",
			TextHI: "पोस्ट कितनी बार दिखाई गई (impressionCount)।"},
		Engagements: FigureRule{Metrics: []string{"likeCount", "commentCount", "shareCount"},
			Text:   "Reactions, comments and reposts (likeCount + commentCount + shareCount); clicks are not counted.",
			TextHI: "प्रतिक्रियाएँ, टिप्पणियाँ और रीपोस्ट (likeCount + commentCount + shareCount); क्लिक नहीं गिने जाते।"},
	},
	{
		ID: "mastodon", Platform: Mastodon, Versions: "all", VersionsHI: "सभी",
		Reach: notAvailable("Mastodon has no reach or impressions: servers do not count who saw a post.",
			"Mastodon में पहुँच या इम्प्रेशन नहीं होते: सर्वर यह नहीं गिनते कि पोस्ट किसने देखी।"),
		Views: notAvailable("Mastodon has no view counts.", "Mastodon में व्यूज़ की गिनती नहीं होती।"),
		Engagements: FigureRule{Metrics: []string{"favourites_count", "reblogs_count", "replies_count", "quotes_count"},
			Text:   "Favourites, boosts, replies and quotes (favourites_count + reblogs_count + replies_count + quotes_count), as the account's own server knows them.",
			TextHI: "पसंद, बूस्ट, जवाब और कोट (favourites_count + reblogs_count + replies_count + quotes_count), जैसे खाते का अपना सर्वर उन्हें जानता है।"},
	},
	{
		ID: "bluesky", Platform: Bluesky, Versions: "all", VersionsHI: "सभी",
		Reach: notAvailable("Bluesky has no reach or impressions.", "Bluesky में पहुँच या इम्प्रेशन नहीं होते।"),
		Views: notAvailable("Bluesky has no view counts.", "Bluesky में व्यूज़ की गिनती नहीं होती।"),
		Engagements: FigureRule{Metrics: []string{"likeCount", "repostCount", "replyCount", "quoteCount"},
			Text:   "Likes, reposts, replies and quotes (likeCount + repostCount + replyCount + quoteCount).",
			TextHI: "लाइक, रीपोस्ट, जवाब और कोट (likeCount + repostCount + replyCount + quoteCount)।"},
	},
	{
		ID: "telegram", Platform: Telegram, Versions: "Bot API", VersionsHI: "Bot API",
		Reach: notAvailable("The Telegram Bot API gives no view counts for channel posts.",
			"Telegram Bot API चैनल पोस्ट के व्यूज़ की गिनती नहीं देता।"),
		Views: notAvailable("The Telegram Bot API gives no view counts for channel posts (only the MTProto client API does).",
			"Telegram Bot API चैनल पोस्ट के व्यूज़ की गिनती नहीं देता (केवल MTProto क्लाइंट API देता है)।"),
		Engagements: notAvailable("The Telegram Bot API gives no reactions or forwards of channel posts.",
			"Telegram Bot API चैनल पोस्ट की प्रतिक्रियाएँ या फ़ॉरवर्ड नहीं देता।"),
	},
	{
		ID: "koo", Platform: Koo, Versions: "none", VersionsHI: "कोई नहीं",
		Reach:       notAvailable("Koo shut down on 3 July 2024.", "Koo 3 जुलाई 2024 को बंद हो गया।"),
		Views:       notAvailable("Koo shut down on 3 July 2024.", "Koo 3 जुलाई 2024 को बंद हो गया।"),
		Engagements: notAvailable("Koo shut down on 3 July 2024.", "Koo 3 जुलाई 2024 को बंद हो गया।"),
	},
}

// MetricDefinitions returns every definition, by platform (in
// Platforms order) and newest version first.
func MetricDefinitions() []MetricDefinition {
	var out []MetricDefinition
	for _, p := range Platforms {
		for _, d := range metricDefinitions {
			if d.Platform == p {
				out = append(out, d)
			}
		}
	}
	return out
}

// DefinitionFor returns the definition of a platform's readings at an API
// version ("" when unknown: the platform's newest), or nil if there is
// none.
func DefinitionFor(p Platform, version string) *MetricDefinition {
	var first *MetricDefinition
	for i := range metricDefinitions {
		d := &metricDefinitions[i]
		if d.Platform != p {
			continue
		}
		if first == nil {
			first = d
		}
		if version == "" {
			return d
		}
		if (d.MinVersion == "" || compareVersions(version, d.MinVersion) >= 0) &&
			(d.BelowVersion == "" || compareVersions(version, d.BelowVersion) < 0) {
			return d
		}
	}
	return first
}

// ComputeFigures turns a reading's raw values into figures by d (nil: no
// figure is available).
func ComputeFigures(d *MetricDefinition, values map[string]int64) PostFigures {
	var f PostFigures
	if d == nil {
		return f
	}
	first := func(r FigureRule) *int64 {
		for _, m := range r.Metrics {
			if v, ok := values[m]; ok {
				return &v
			}
		}
		return nil
	}
	f.Reach = first(d.Reach)
	f.Views = first(d.Views)
	var sum int64
	found := false
	for _, m := range d.Engagements.Metrics {
		if v, ok := values[m]; ok {
			sum += v
			found = true
		}
	}
	if found {
		f.Engagements = &sum
	}
	return f
}

// compareVersions compares API versions such as "v25.0", "v1.0", "2" or
// "202605" by their numbers, part by part; it returns -1, 0 or 1.
func compareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

func versionParts(v string) []int {
	v = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(v)), "v")
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}
