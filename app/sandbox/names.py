"""Word lists for realistic, deterministic demo data."""

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
    "Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy "
    "Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma Stephen Brenda Larry "
    "Pamela Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel Christine "
    "Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia "
    "Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan "
    "Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia "
    "Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl "
    "Roger Jacqueline Terry Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha "
    "Harold Sara Jordan Gloria Jesse Janice Bryan Kathryn Lawrence Ann Arthur Isabella "
    "Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber Alan Alice Juan Jean "
    "Elijah Denise Willie Frances Albert Danielle Wayne Marilyn Randy Natalie Mason Beverly "
    "Vincent Diana Liam Brittany Roy Theresa Bobby Kayla Caleb Alexis Bradley Doris Russell "
    "Lori Lucas Tiffany Priya Wei Aisha Mateo Sofia Yuki Omar Fatima Luca Ingrid Tomas Leila "
    "Rafael Chen Amara Diego Nadia Hiroshi Elena Kwame Ana Mohammed Freya Ravi Ines"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed "
    "Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales "
    "Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson "
    "Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes "
    "Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant "
    "Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight "
    "Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Ray Berry Perkins "
    "Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval "
    "Okafor Yamamoto Kowalski Lindqvist Rossi Novak Haddad Mehta Larsen Dubois Nakamura"
).split()

COMPANY_WORDS_A = (
    "Acme Apex Blue Bright Cedar Clear Copper Crest Delta Eagle Evergreen First Golden Granite "
    "Harbor Horizon Iron Keystone Lakeside Liberty Maple Meridian Metro Noble North Oak Pacific "
    "Pioneer Prairie Quantum Red Ridge River Silver Sky Stone Summit Sun True Union Vertex "
    "West Willow"
).split()
COMPANY_WORDS_B = (
    "Analytics Builders Capital Consulting Dental Designs Dynamics Energy Foods Health "
    "Holdings Industries Labs Logistics Media Motors Networks Partners Properties Realty "
    "Roofing Solutions Systems Technologies Ventures Works Supply Insurance Legal Fitness"
).split()
COMPANY_SUFFIXES = ("Inc", "LLC", "Co", "Group", "Corp", "")

TITLES = (
    "Owner",
    "Office Manager",
    "Practice Manager",
    "Marketing Director",
    "VP of Sales",
    "Operations Manager",
    "CEO",
    "CFO",
    "Head of Growth",
    "Account Executive",
    "Sales Development Representative",
    "Customer Success Manager",
    "Project Manager",
    "IT Director",
    "HR Manager",
    "Procurement Lead",
    "Facilities Manager",
    "General Manager",
    "Founder",
    "Controller",
    "Product Manager",
    "Engineering Manager",
    "Receptionist",
)

SOURCES = (
    "website",
    "referral",
    "facebook_ads",
    "google_ads",
    "walk_in",
    "api",
    "import",
    "seamless",
)
TAGS = (
    "vip",
    "newsletter",
    "website-lead",
    "referral",
    "enterprise",
    "follow-up",
    "hot-lead",
    "cold",
    "event-2026",
    "invoice-overdue",
    "review-requested",
    "spanish-speaking",
)

CITIES = (
    ("Boston", "MA", "02108", "US"),
    ("New York", "NY", "10001", "US"),
    ("Philadelphia", "PA", "19103", "US"),
    ("Chicago", "IL", "60601", "US"),
    ("Denver", "CO", "80202", "US"),
    ("Austin", "TX", "78701", "US"),
    ("Seattle", "WA", "98101", "US"),
    ("San Diego", "CA", "92101", "US"),
    ("Atlanta", "GA", "30303", "US"),
    ("Miami", "FL", "33130", "US"),
    ("Portland", "OR", "97204", "US"),
    ("Phoenix", "AZ", "85004", "US"),
    ("Toronto", "ON", "M5H 2N2", "CA"),
    ("London", "", "EC1A 1BB", "GB"),
)
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Pine St",
    "Cedar Ln",
    "Elm St",
    "Harbor Blvd",
    "Summit Rd",
    "Lake St",
    "Washington Ave",
    "Park Pl",
    "Market St",
)
EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")
