//! The bodies the API answers with, as types: serialised by serde and described in the
//! OpenAPI document by utoipa from the same definitions, so the two cannot drift (a test
//! validates real answers against the document's schemas).

use serde::Serialize;
use utoipa::ToSchema;

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
    /// Stops served.
    pub stops: usize,
}

/// `POST /v1/admin/reload`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reloaded {
    /// Always `reloaded`.
    pub status: &'static str,
    /// Stops in the new timetable.
    pub stops: usize,
    /// Routes in the new timetable.
    pub routes: usize,
}

/// `GET /v1/feeds`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feeds {
    /// The feeds loaded.
    pub feeds: Vec<Feed>,
}

/// One loaded feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    /// The feed's id (the prefix of its stop and route ids).
    pub id: String,
    /// IANA time zone.
    pub timezone: String,
    /// `feed_info.txt`'s publisher, when given.
    pub publisher: Option<String>,
    /// `feed_info.txt`'s version, when given.
    pub version: Option<String>,
    /// First service date, `YYYY-MM-DD`.
    pub valid_from: Option<String>,
    /// Last service date.
    pub valid_to: Option<String>,
    /// `feed_info.txt`'s end date (`feed_end_date`), `YYYY-MM-DD`, when given.
    pub feed_end_date: Option<String>,
    /// Days until the feed ends (its end date, else its last service date); negative once
    /// it has.
    pub days_left: Option<i64>,
    /// It ends within 30 days (or has ended): a new feed is due.
    pub expiring: bool,
    /// Stops.
    pub stops: usize,
    /// Routes.
    pub routes: usize,
    /// When it was loaded, RFC 3339.
    pub loaded_at: String,
}

/// A stop, with the short names of the routes calling at it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stop {
    /// Namespaced id.
    pub id: String,
    /// Name (empty or `Innominada` for many OpenStreetMap stops).
    pub name: String,
    /// The code painted at the stop (`stop_code`), when the feed gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Route short names.
    pub routes: Vec<String>,
}

/// A route found by name, with its stops in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteMatch {
    /// Namespaced id.
    pub id: String,
    /// Short name.
    pub short_name: String,
    /// Long name.
    pub long_name: String,
    /// Its stops' ids, in order.
    pub stops: Vec<String>,
}

/// `GET /v1/stops`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StopSearch {
    /// Stops whose names match, best first.
    pub stops: Vec<Stop>,
    /// Routes whose names match.
    pub routes: Vec<RouteMatch>,
}

/// A stop near a point.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearStop<'a> {
    /// Namespaced id.
    pub id: &'a str,
    /// Name.
    pub name: &'a str,
    /// The code painted at the stop (`stop_code`), when the feed gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'a str>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Route short names.
    pub routes: Vec<&'a str>,
    /// Straight-line distance, metres.
    pub distance_m: f64,
    /// Walking time, seconds.
    pub walk_s: u32,
}

/// `GET /v1/stops/near`: borrowed from the timetable and serialised directly (this endpoint is
/// hit on every map move, so it builds no intermediate JSON values).
#[derive(Debug, Serialize, ToSchema)]
pub struct NearStops<'a> {
    /// Nearest first.
    pub stops: Vec<NearStop<'a>>,
}

/// `GET /v1/stops/{id}/departures`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Departures {
    /// The stop.
    pub stop: Stop,
    /// Next departures, soonest first.
    pub departures: Vec<app::Departure>,
    /// The real time read (GTFS-Realtime); null when nothing is live.
    pub realtime: Option<app::LiveInfo>,
    /// Service alerts for a rider here (the stop's, its routes', their agencies', the
    /// network's), in the language asked where the feed has it.
    pub alerts: Vec<app::ServiceAlert>,
}

/// `GET /v1/vehicles`: GeoJSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vehicles {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(example = "FeatureCollection")]
    pub kind: &'static str,
    /// One point per vehicle.
    pub features: Vec<VehicleFeature>,
    /// The real time read (its generation and age); `null` when nothing is live.
    pub realtime: Option<app::LiveInfo>,
}

/// A vehicle on the map.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    #[schema(example = "Feature")]
    pub kind: &'static str,
    /// Where it is.
    pub geometry: Point,
    /// What it is.
    pub properties: app::LiveVehicle,
}

/// A GeoJSON point.
#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    /// Always `Point`.
    #[serde(rename = "type")]
    #[schema(example = "Point")]
    pub kind: &'static str,
    /// `[longitude, latitude]`.
    pub coordinates: [f64; 2],
}

/// A route.
#[derive(Debug, Serialize, ToSchema)]
pub struct Route {
    /// Namespaced id.
    pub id: String,
    /// Short name.
    pub short_name: String,
    /// Long name.
    pub long_name: String,
    /// `RRGGBB`, when the feed gives one.
    pub color: Option<String>,
    /// Text colour on `color`.
    pub text_color: Option<String>,
    /// GTFS `route_type`.
    #[serde(rename = "type")]
    pub route_type: u16,
    /// The agency's name.
    pub agency: String,
}

/// `GET /v1/routes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Routes {
    /// Every route.
    pub routes: Vec<Route>,
}

/// `GET /v1/routes/{id}`: a route with its stops and geometry.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteDetail {
    /// The route.
    #[serde(flatten)]
    pub route: Route,
    /// Its stops, in order.
    pub stops: Vec<Stop>,
    /// Its shape (or straight lines between its stops).
    pub geometry: app::LineString,
}

/// `POST /v1/reports`: what the reporter gets back, once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportFiled {
    /// The reporter's secret reference: with it, and only with it, they follow and erase
    /// the report.
    pub reference: String,
    /// The report's status.
    pub status: String,
    /// Where to follow it.
    pub status_url: String,
    /// What the secret is for, in the request's language.
    pub notice: String,
}

/// A report as its reporter (or an official) sees it: no place, text or reporter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// The reference it was asked by.
    pub reference: String,
    /// Category key.
    pub category: String,
    /// `open`, `acknowledged`, `in_progress` or `closed`.
    pub status: String,
    /// When it was reported, Unix seconds.
    pub reported_at: i64,
    /// When its status last changed, Unix seconds.
    pub updated_at: i64,
    /// Status changes, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// One status change.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// New status.
    pub status: String,
    /// When, Unix seconds.
    pub at: i64,
    /// The official's note to the reporter.
    pub note: String,
}

/// `GET /v1/reports` (officials).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    /// Raw reports with place and description, newest first.
    pub reports: Vec<RawReport>,
}

/// A report as officials see it: place, text and the reporter's declared profile. Closed
/// fields use the API's own words (`mujer`, `18_35`), the ones reports are filed with.
#[derive(Debug, Serialize, ToSchema)]
pub struct RawReport {
    /// The officials' case id (`C-…`), never the reporter's secret.
    pub reference: String,
    /// Category key.
    pub category: String,
    /// Exact point.
    pub lat: Option<f64>,
    /// Exact point.
    pub lon: Option<f64>,
    /// Stop.
    pub stop_id: Option<String>,
    /// Route.
    pub route_id: Option<String>,
    /// Grid cell.
    pub zone: String,
    /// When it happened, Unix seconds.
    pub occurred_at: i64,
    /// Local hour it happened.
    pub local_hour: u8,
    /// When it was reported, Unix seconds.
    pub reported_at: i64,
    /// The reporter's words.
    pub description: Option<String>,
    /// The reporter's gender, if given.
    pub gender: Option<&'static str>,
    /// The reporter's age band, if given.
    pub age_band: Option<&'static str>,
    /// `web`, `api`, `bot` or `open311`.
    pub channel: &'static str,
    /// Workflow status.
    pub status: &'static str,
    /// Last change, Unix seconds.
    pub updated_at: i64,
    /// First moved past open.
    pub acknowledged_at: Option<i64>,
    /// Closed.
    pub closed_at: Option<i64>,
    /// Case id of an earlier report this likely duplicates.
    pub duplicate_of: Option<String>,
    /// Who was involved (a road actor key), if said.
    pub actor_involved: Option<String>,
    /// Who was the victim (a road actor key), if said.
    pub actor_victim: Option<String>,
}

impl From<&app::Report> for RawReport {
    fn from(r: &app::Report) -> Self {
        RawReport {
            reference: r.reference.clone(),
            category: r.category.clone(),
            lat: r.lat,
            lon: r.lon,
            stop_id: r.stop_id.clone(),
            route_id: r.route_id.clone(),
            zone: r.zone.clone(),
            occurred_at: r.occurred_at,
            local_hour: r.local_hour,
            reported_at: r.reported_at,
            description: r.description.clone(),
            gender: r.gender.map(app::Gender::as_str),
            age_band: r.age_band.map(app::AgeBand::as_str),
            channel: r.channel.as_str(),
            status: r.status.as_str(),
            updated_at: r.updated_at,
            acknowledged_at: r.acknowledged_at,
            closed_at: r.closed_at,
            duplicate_of: r.duplicate_of.clone(),
            actor_involved: r.actors.involved.clone(),
            actor_victim: r.actors.victim.clone(),
        }
    }
}

/// `POST /v1/surveys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyRecorded {
    /// Always `recorded`.
    pub status: &'static str,
}

/// An Open311 service (an incident category).
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    /// Category key.
    pub service_code: String,
    /// Its name, in the request's language.
    pub service_name: String,
    /// The same.
    pub description: String,
    /// True: every category takes the extra attributes of its definition
    /// (`services/{service_code}.json`).
    pub metadata: bool,
    /// Always `realtime`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `acoso` for harassment categories.
    pub keywords: &'static str,
    /// Its group's code (`acoso`, `agresion`, `robo`, `servicio`, `inseguridad_vial`, …).
    pub group: String,
}

/// An Open311 answer to a new request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequestFiled {
    /// The reporter's secret id: with it they (and only they) follow the report.
    pub service_request_id: String,
    /// What the id is for.
    pub service_notice: String,
}

/// An Open311 service request (a report); the details only for officials.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequest {
    /// The id asked by (the reporter's secret, or an official's case id).
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: &'static str,
    /// The last note of an official.
    pub status_notes: Option<String>,
    /// Category key.
    pub service_code: String,
    /// Category name.
    pub service_name: String,
    /// When it happened, RFC 3339.
    pub requested_datetime: String,
    /// When its status last changed.
    pub updated_datetime: String,
    /// Officials only: latitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<Option<f64>>,
    /// Officials only: longitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long: Option<Option<f64>>,
    /// Officials only: the reporter's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    /// The agency that answers the report.
    /// The first photo, for officials only (read with the token); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    pub agency_responsible: String,
}

/// `GET /open311/v2/discovery.json`: where the GeoReport endpoint is and what it speaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discovery {
    /// When the API last changed.
    pub changeset: String,
    /// Who answers the reports and how to reach them.
    pub contact: String,
    /// No key is needed to report or follow a report; officials use bearer tokens.
    pub key_service: String,
    /// The endpoints (one: this server).
    pub endpoints: Vec<DiscoveryEndpoint>,
}

/// One GeoReport endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryEndpoint {
    /// The specification it follows.
    pub specification: &'static str,
    /// Its base URL.
    pub url: String,
    /// When it last changed.
    pub changeset: String,
    /// `production`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `text/xml` and `application/json`.
    pub formats: Vec<&'static str>,
}

/// `GET /open311/v2/services/{service_code}.json`: the attributes a category takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    /// The category.
    pub service_code: String,
    /// The extra attributes, sent as `attribute[code]`.
    pub attributes: Vec<ServiceAttribute>,
}

/// One extra attribute of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAttribute {
    /// True: the client asks the reporter for it.
    pub variable: bool,
    /// Its code: sent as `attribute[code]`.
    pub code: &'static str,
    /// `string` or `singlevaluelist`.
    pub datatype: &'static str,
    /// Always false: every attribute is optional.
    pub required: bool,
    /// What a value looks like.
    pub datatype_description: String,
    /// Its place in a form.
    pub order: u32,
    /// The question, in the request's language.
    pub description: String,
    /// The values of a list (empty for a string).
    pub values: Vec<AttributeValue>,
}

/// A value of a list attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeValue {
    /// What the client sends.
    pub key: String,
    /// What the reporter reads.
    pub name: String,
}

/// An Open311 error, in GeoReport's format (answered as a one-element array).
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311Error {
    /// The HTTP status.
    pub code: u16,
    /// What went wrong, for a person.
    pub description: String,
}

/// `GET /v1/observatory/internal`: exact figures, for officials only.
#[derive(Debug, Serialize, ToSchema)]
pub struct InternalFigures {
    /// Always true: these figures are not for publication.
    pub internal: bool,
    /// What officials may and may not do with them.
    pub notice: String,
    /// First local date and time of the range.
    pub from: String,
    /// End of the range (exclusive), local.
    pub to: String,
    /// The tables.
    pub indicators: Vec<InternalTable>,
}

/// One table of exact figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct InternalTable {
    /// Stable id.
    pub id: &'static str,
    /// Title, in the request's language.
    pub title: String,
    /// Names of its dimensions.
    pub dimensions: Vec<&'static str>,
    /// Names of its mean measures.
    pub measures: Vec<String>,
    /// Its non-empty cells.
    pub rows: Vec<InternalRow>,
}

/// One cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct InternalRow {
    /// One value per dimension.
    pub key: Vec<String>,
    /// Records in the cell.
    pub count: i64,
    /// Per mean measure, the mean over the cell (null when empty).
    pub values: Vec<Option<f64>>,
}
