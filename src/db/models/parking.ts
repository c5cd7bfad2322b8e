import { Schema, model, type InferSchemaType } from 'mongoose';

const accessPointSchema = new Schema(
  { macAddress: { type: String, required: true }, direction: { type: String, enum: ['entrance', 'exit'], required: true }, name: { type: String, required: true } },
  { _id: false },
);

/**
 * A parking row's `_id`: its integer id as a string (like `sessionRowId`), so a start, gate event or price reads
 * its parking by `_id`, the one lookup FerretDB answers from an index. `id` stays, for lists in id order.
 */
export const parkingRowId = (id: number): string => String(id);

const parkingSchema = new Schema(
  {
    _id: { type: String, required: true },
    id: { type: Number, required: true, unique: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    currency: { type: String, required: true },
    active: { type: Boolean, default: true },
    exclusivelyOnline: { type: Boolean, default: false },
    accessPoints: { type: [accessPointSchema], default: [] },
    tariff: {
      graceMinutes: { type: Number, required: true },
      intervalMinutes: { type: Number, required: true },
      pricePerInterval: { type: String, required: true },
      dailyCap: { type: String, default: null },
    },
    /**
     * Append-only tariff history (src/domain/tariff-versions.ts): a stay is priced with the version in force when
     * it started. `tariff` above is the latest version, kept for reading; empty for parkings from before versions.
     */
    tariffVersions: {
      type: [
        new Schema(
          {
            effectiveFrom: { type: Date, required: true },
            graceMinutes: { type: Number, required: true },
            intervalMinutes: { type: Number, required: true },
            pricePerInterval: { type: String, required: true },
            dailyCap: { type: String, default: null },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    timeZone: { type: String, required: true },
    vatPercent: { type: String, required: true },
    cardProvider: { type: String, enum: ['netopia', 'epx'], required: true },
    /** Set for camera (ANPR) parkings run by Autopay. */
    anpr: {
      type: new Schema({ areaCode: { type: String, required: true }, operatorId: { type: String, required: true } }, { _id: false }),
      default: null,
    },
  },
  { timestamps: true },
);
parkingSchema.pre('validate', function () {
  if (this.isNew && typeof this.id === 'number') this._id = parkingRowId(this.id);
});
parkingSchema.index({ 'anpr.areaCode': 1 });

export type ParkingDoc = InferSchemaType<typeof parkingSchema>;
export const ParkingModel = model('Parking', parkingSchema);

/**
 * Autopay area code → its parking (`_id` = the area code), so an ANPR start finds its parking by `_id` twice. The
 * parking's own `anpr.areaCode` decides: a row left by a parking that gave the area up points nowhere, and the next
 * parking to claim the area takes it over (src/reference-data/service.ts).
 */
const parkingAreaSchema = new Schema({ _id: { type: String, required: true }, parkingId: { type: Number, required: true } }, { versionKey: false });
export const ParkingAreaModel = model('ParkingArea', parkingAreaSchema);
