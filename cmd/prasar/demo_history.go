package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prasar/prasar/publisher"
)

// shiftClock is the clock of a demo deployment's service and sandbox: the
// real one (or a test's), which the demo's first start sets back while it
// writes the past month (seedDemoHistory) and then sets right again.
type shiftClock struct {
	base func() time.Time
	back atomic.Int64 // how far behind base, in nanoseconds
}

func newShiftClock(base func() time.Time) *shiftClock {
	if base == nil {
		base = time.Now
	}
	return &shiftClock{base: base}
}

// Now returns the clock's time.
func (c *shiftClock) Now() time.Time { return c.base().Add(-time.Duration(c.back.Load())) }

// setTo sets the clock to t (in the past) from now on.
func (c *shiftClock) setTo(t time.Time) { c.back.Store(int64(c.base().Sub(t))) }

// reset sets the clock right.
func (c *shiftClock) reset() { c.back.Store(0) }

// istZone is India Standard Time, the demo's calendar.
var istZone = time.FixedZone("IST", 5*3600+1800)

// demoHistoryPost is a post the demo published in the past month.
type demoHistoryPost struct {
	Org     string // demo organisation code
	DaysAgo int    // publishing day, counted back from today (IST)
	Hour    int    // publishing hour (IST)
	Title   string
	HI, EN  string
	Short   string // the text for the platforms that count both languages as too long
}

// demoHistory is a month of posts, every organisation of the demo a few
// times, so that a new demo's history, reach dashboard and operations page
// show a working month.
var demoHistory = []demoHistoryPost{
	{"AGRI", 27, 10, "पराली प्रबंधन: ₹1,200 प्रति एकड़ प्रोत्साहन",
		"पराली न जलाएं! फसल अवशेष प्रबंधन करने वाले किसानों को ₹1,200 प्रति एकड़ प्रोत्साहन राशि। आवेदन agriharyana.gov.in पर।",
		"Do not burn stubble: farmers who manage crop residue get ₹1,200 per acre. Apply on agriharyana.gov.in.",
		"पराली न जलाएं: फसल अवशेष प्रबंधन पर ₹1,200 प्रति एकड़। Stubble management: ₹1,200 per acre. agriharyana.gov.in"},
	{"HEALTH", 26, 11, "डेंगू से बचाव",
		"डेंगू से बचाव: घर के आस-पास पानी जमा न होने दें, पूरी बांह के कपड़े पहनें। बुखार होने पर नज़दीकी सरकारी अस्पताल में निःशुल्क जांच।",
		"Prevent dengue: do not let water collect around your home, wear full sleeves. Free tests at every government hospital.",
		"डेंगू से बचाव: पानी जमा न होने दें। Prevent dengue: no standing water; free tests at government hospitals."},
	{"SEDU", 24, 9, "सुपर 100 प्रवेश परीक्षा",
		"सुपर 100 कार्यक्रम: सरकारी स्कूलों के मेधावी विद्यार्थियों के लिए JEE/NEET की निःशुल्क कोचिंग। प्रवेश परीक्षा के लिए पंजीकरण शुरू।",
		"Super 100: free JEE/NEET coaching for meritorious government-school students. Registration for the entrance test is open.",
		"सुपर 100: सरकारी स्कूलों के विद्यार्थियों के लिए निःशुल्क JEE/NEET कोचिंग। Super 100 registration is open."},
	{"TRANSPORT", 22, 12, "हरियाणा रोडवेज़: नई इलेक्ट्रिक बसें",
		"हरियाणा रोडवेज़ के बेड़े में 50 नई इलेक्ट्रिक बसें शामिल। गुरुग्राम, फरीदाबाद और पंचकूला में आज से सेवा शुरू।",
		"Haryana Roadways adds 50 electric buses. Service starts today in Gurugram, Faridabad and Panchkula.",
		"हरियाणा रोडवेज़: 50 नई इलेक्ट्रिक बसें। 50 new electric buses in Gurugram, Faridabad and Panchkula from today."},
	{"HTC", 20, 17, "सूरजकुंड शिल्प मेला",
		"अंतर्राष्ट्रीय सूरजकुंड शिल्प मेले में देश-विदेश के कारीगर। टिकट ऑनलाइन उपलब्ध। परिवार सहित पधारें!",
		"Artisans from India and abroad at the Surajkund International Crafts Mela. Tickets online. Bring the family!",
		"सूरजकुंड शिल्प मेला: टिकट ऑनलाइन। Surajkund International Crafts Mela: tickets online."},
	{"D-KARNAL", 19, 10, "करनाल: समाधान शिविर",
		"करनाल: हर सोमवार और गुरुवार सुबह 10 बजे लघु सचिवालय में समाधान शिविर। अपनी शिकायतें लेकर आएं।",
		"Karnal: Samadhan Shivir every Monday and Thursday at 10 am at the Mini Secretariat. Bring your grievances.",
		"करनाल: हर सोमवार-गुरुवार लघु सचिवालय में समाधान शिविर। Karnal Samadhan Shivir, Mon & Thu, 10 am."},
	{"DIPRL", 17, 18, "मुख्यमंत्री ने 'हर घर हर गृहिणी' की किस्त जारी की",
		"मुख्यमंत्री ने 'हर घर हर गृहिणी' योजना के तहत ₹500 में सिलेंडर की किस्त 46 लाख परिवारों के खातों में भेजी।",
		"The Chief Minister released the Har Ghar Har Grihini instalment: cylinders at ₹500 for 46 lakh families.",
		"'हर घर हर गृहिणी': ₹500 में सिलेंडर, 46 लाख परिवार। Har Ghar Har Grihini instalment released."},
	{"AGRI", 15, 9, "मंडियों में धान की खरीद जारी",
		"प्रदेश की सभी मंडियों में धान की खरीद सुचारु रूप से जारी। भुगतान 48 घंटे में सीधे किसानों के खाते में।",
		"Paddy procurement continues smoothly in every mandi. Payment reaches farmers' accounts within 48 hours.",
		"धान की खरीद जारी, भुगतान 48 घंटे में। Paddy procurement on; payment within 48 hours."},
	{"HEALTH", 13, 10, "चिरायु हरियाणा: आयुष्मान कार्ड",
		"चिरायु हरियाणा: ₹5 लाख तक का निःशुल्क इलाज। अपना आयुष्मान कार्ड नज़दीकी CSC या अस्पताल में बनवाएं।",
		"Chirayu Haryana: free treatment up to ₹5 lakh. Get your Ayushman card at the nearest CSC or hospital.",
		"चिरायु हरियाणा: ₹5 लाख तक निःशुल्क इलाज। Chirayu Haryana: free treatment up to ₹5 lakh."},
	{"SEDU", 12, 11, "बोर्ड परीक्षा की डेटशीट जारी",
		"हरियाणा विद्यालय शिक्षा बोर्ड ने कक्षा 10वीं और 12वीं की वार्षिक परीक्षा की डेटशीट जारी की। bseh.org.in पर देखें।",
		"The Board of School Education Haryana has released the class 10 and 12 date sheets. See bseh.org.in.",
		"कक्षा 10वीं-12वीं की डेटशीट जारी: bseh.org.in। Class 10 and 12 date sheets are out."},
	{"TRANSPORT", 10, 8, "ड्राइविंग लाइसेंस अब घर बैठे",
		"ड्राइविंग लाइसेंस के नवीनीकरण के लिए अब कार्यालय आने की ज़रूरत नहीं। सारथी पोर्टल पर ऑनलाइन आवेदन करें।",
		"No office visit to renew a driving licence: apply online on the Sarathi portal.",
		"लाइसेंस नवीनीकरण ऑनलाइन, सारथी पोर्टल पर। Renew your driving licence online on Sarathi."},
	{"HTC", 8, 16, "मोरनी हिल्स: सर्दियों का पर्यटन",
		"सर्दियों में मोरनी हिल्स की सैर करें। हरियाणा पर्यटन के टिक्कर ताल रिसॉर्ट में विशेष पैकेज।",
		"Spend a winter weekend in the Morni Hills: special packages at Haryana Tourism's Tikkar Taal resort.",
		"मोरनी हिल्स: टिक्कर ताल में विशेष पैकेज। Morni Hills winter packages at Tikkar Taal."},
	{"D-KARNAL", 7, 12, "करनाल: मतदाता सूची पुनरीक्षण",
		"मतदाता सूची के विशेष पुनरीक्षण के लिए सभी बूथों पर शनिवार और रविवार को विशेष शिविर। नए मतदाता फॉर्म 6 भरें।",
		"Special camps at every polling booth this weekend for the electoral roll revision. New voters: fill Form 6.",
		"मतदाता सूची पुनरीक्षण: बूथों पर विशेष शिविर। Electoral roll camps this weekend."},
	{"DIPRL", 5, 19, "कैबिनेट के निर्णय",
		"मंत्रिमंडल की बैठक में 12 निर्णय: ग्रामीण सड़कों की मरम्मत के लिए ₹1,100 करोड़ और 5,000 शिक्षकों की भर्ती को मंज़ूरी।",
		"Cabinet approves 12 decisions, including ₹1,100 crore for rural roads and 5,000 teacher posts.",
		"कैबिनेट: ग्रामीण सड़कों के लिए ₹1,100 करोड़, 5,000 शिक्षक। Cabinet: ₹1,100 crore for rural roads."},
	{"AGRI", 4, 10, "मृदा स्वास्थ्य कार्ड",
		"अपने खेत की मिट्टी की निःशुल्क जांच करवाएं और मृदा स्वास्थ्य कार्ड पाएं। नज़दीकी कृषि विज्ञान केंद्र से संपर्क करें।",
		"Get your soil tested free and receive a Soil Health Card at the nearest Krishi Vigyan Kendra.",
		"मिट्टी की निःशुल्क जांच, मृदा स्वास्थ्य कार्ड। Free soil tests and Soil Health Cards."},
	{"HEALTH", 3, 9, "पल्स पोलियो अभियान",
		"रविवार को पल्स पोलियो अभियान: 0 से 5 वर्ष के सभी बच्चों को पोलियो की दो बूंद ज़रूर पिलाएं।",
		"Pulse Polio on Sunday: make sure every child up to five gets the two drops.",
		"पल्स पोलियो रविवार को: दो बूंद ज़िंदगी की। Pulse Polio this Sunday."},
	{"SEDU", 2, 13, "मिड-डे मील में मिलेट्स",
		"सरकारी स्कूलों के मिड-डे मील में अब सप्ताह में दो दिन बाजरे और रागी के व्यंजन।",
		"Millet dishes twice a week in the mid-day meal of every government school.",
		"मिड-डे मील में सप्ताह में दो दिन मिलेट्स। Millets twice a week in mid-day meals."},
	{"HTC", 1, 11, "राखीगढ़ी महोत्सव",
		"राखीगढ़ी महोत्सव: हड़प्पा सभ्यता के सबसे बड़े स्थल पर तीन दिन का सांस्कृतिक उत्सव। प्रवेश निःशुल्क।",
		"Rakhigarhi festival: three days of culture at the largest Harappan site. Entry is free.",
		"राखीगढ़ी महोत्सव: तीन दिन, प्रवेश निःशुल्क। Rakhigarhi festival, free entry."},
}

// seedDemoHistory publishes demoHistory as it would have happened, through
// the service and the sandbox platforms: with their clock set back to each
// post's day, the organisation's editor writes and submits it, the PR
// section approves it, and its fan-out and every delivery run there and
// then (the sandbox keeps the posts as made on that day, so their reach has
// grown since). It runs on the demo's first start only (seedDemo tells),
// after the HTTP server (the sandbox) and before the workers start, so
// that nothing else reads the clock meanwhile; the clock is right again
// when it returns. The queued tasks of these posts find them published
// and do nothing; the first metrics sweep reads their reach.
func seedDemoHistory(ctx context.Context, store publisher.Store, svc *publisher.Service, clock *shiftClock) error {
	defer clock.reset()
	ctx = publisher.SystemContext(ctx)
	ids, accounts := map[string]string{}, map[string][]string{}
	for _, d := range demoOrgs {
		o, err := store.GetOrgByCode(ctx, d.Code)
		if err != nil {
			return fmt.Errorf("demo history: organisation %s: %w", d.Code, err)
		}
		ids[d.Code] = o.ID
		as, err := store.ListAccounts(ctx, publisher.AccountFilter{OrgID: o.ID})
		if err != nil {
			return fmt.Errorf("demo history: accounts of %s: %w", d.Code, err)
		}
		for _, a := range as {
			if a.Status == publisher.AccountConnected {
				accounts[d.Code] = append(accounts[d.Code], a.ID)
			}
		}
	}
	as := func(email string) (context.Context, error) {
		u, err := store.GetUserByEmail(ctx, email)
		if err != nil {
			return nil, fmt.Errorf("demo history: %s: %w", email, err)
		}
		return publisher.NewContextWithUser(ctx, u), nil
	}
	var latest time.Time // the latest moment of the past written
	editors := map[string]string{}
	for _, d := range demoOrgs {
		editors[d.Code] = d.Editor
	}
	today := clock.Now().In(istZone)
	for i, h := range demoHistory {
		at := time.Date(today.Year(), today.Month(), today.Day()-h.DaysAgo, h.Hour, 0, 0, 0, istZone)
		editor, err := as(editors[h.Org])
		if err != nil {
			return err
		}
		approverEmail := "approver@example.gov.in"
		if i%3 == 2 {
			approverEmail = "approver2@example.gov.in"
		}
		approver, err := as(approverEmail)
		if err != nil {
			return err
		}
		fail := func(step string, err error) error {
			return fmt.Errorf("demo history: %s post of %d days ago: %s: %w", h.Org, h.DaysAgo, step, err)
		}
		clock.setTo(at.Add(-100 * time.Minute))
		p, err := svc.CreatePost(editor, publisher.PostInput{OrgID: ids[h.Org], Title: h.Title,
			Content: publisher.Content{BodyHI: h.HI, BodyEN: h.EN, Variants: shortVariants(h.Short)},
			Targets: textTargets(ctx, svc, store, accounts[h.Org])})
		if err != nil {
			return fail("writing", err)
		}
		clock.setTo(at.Add(-80 * time.Minute))
		if p, err = svc.SubmitPost(editor, p.ID, p.Revision); err != nil {
			return fail("submitting", err)
		}
		clock.setTo(at.Add(-10 * time.Minute))
		if p, err = svc.ApprovePost(approver, p.ID, p.Revision, ""); err != nil {
			return fail("approving", err)
		}
		clock.setTo(at)
		if err := svc.Fanout(ctx, p.ID, p.Revision); err != nil {
			return fail("fanning out", err)
		}
		ds, _, err := store.ListDeliveries(ctx, publisher.DeliveryFilter{PostID: p.ID, Limit: 100})
		if err != nil {
			return fail("listing deliveries", err)
		}
		for k, d := range ds {
			latest = at.Add(time.Duration(k+1) * 3 * time.Second)
			clock.setTo(latest)
			if err := svc.Deliver(ctx, d.ID); err != nil {
				return fail("delivering", err)
			}
			if d, err = store.GetDelivery(ctx, d.ID); err != nil {
				return fail("delivering", err)
			}
			if d.Status != publisher.DeliveryPublished {
				return fail("delivering", fmt.Errorf("%s delivery %s ended %s: %s", d.Platform, d.ID, d.Status, d.ErrorMessage))
			}
		}
	}
	clock.reset()
	if latest.IsZero() {
		return nil
	}
	// People read the news of that month (submitted, approved) long ago;
	// what is new today stays unread.
	for _, du := range demoUsers() {
		u, err := store.GetUserByEmail(ctx, du.Email)
		if err != nil {
			return fmt.Errorf("demo history: %s: %w", du.Email, err)
		}
		ns, _, err := store.ListNotifications(ctx, publisher.NotificationFilter{UserID: u.ID, UnreadOnly: true, Limit: 1000})
		if err != nil {
			return fmt.Errorf("demo history: notifications of %s: %w", du.Email, err)
		}
		var old []string
		for _, n := range ns {
			if !n.CreatedAt.After(latest) {
				old = append(old, n.ID)
			}
		}
		if len(old) > 0 {
			if _, err := store.MarkNotificationsRead(ctx, u.ID, old, latest.Add(time.Hour).UTC()); err != nil {
				return fmt.Errorf("demo history: notifications of %s: %w", du.Email, err)
			}
		}
	}
	return nil
}
